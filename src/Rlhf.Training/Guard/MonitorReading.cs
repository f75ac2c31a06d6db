namespace Rlhf.Training.Guard;

/// <summary>One monitor's reading of one iteration: its <see cref="MonitorLevel"/> and, unless Ok, what it saw.</summary>
public sealed record MonitorReading(MonitorLevel Level, string? Reason = null)
{
    /// <summary>Healthy (or nothing to read).</summary>
    public static MonitorReading Ok { get; } = new(MonitorLevel.Ok);
}
