namespace Rlhf.Training.Guard;

/// <summary>How a <see cref="IGuardMonitor"/> sees the current iteration.</summary>
public enum MonitorLevel
{
    /// <summary>Healthy, or the metric the monitor reads is absent.</summary>
    Ok,
    /// <summary>The monitor's condition holds, but not yet for <c>patience</c> iterations in a row.</summary>
    Warning,
    /// <summary>The condition held for <c>patience</c> iterations in a row: crop the run.</summary>
    Stop,
}
