using Rlhf.Tensors.Autograd;

namespace Rlhf.Cli.Bench;

/// <summary>
/// <c>--profile</c> of the bench verbs: times every recorded op (<see cref="OpProfiler"/>) while a bench runs, then
/// writes the per-op totals, most expensive first. Forward time of an op is the time since the previous op on its
/// thread, so it includes the caller's code in between; warm-up steps are included. Profiling adds overhead, so the
/// bench's own figures are not comparable with an unprofiled run.
/// </summary>
public static class ProfiledRun
{
    /// <summary>Runs <paramref name="bench"/>; with <paramref name="profile"/>, ops are timed and the totals written to <paramref name="report"/>.</summary>
    public static T Run<T>(bool profile, TextWriter report, Func<T> bench)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(bench);
        if (!profile) return bench();
        bool wasEnabled = OpProfiler.Enabled;
        OpProfiler.Report(); // drop totals an earlier run left behind
        OpProfiler.Mark();
        OpProfiler.Enabled = true;
        try { return bench(); }
        finally
        {
            OpProfiler.Enabled = wasEnabled;
            report.WriteLine("per-op time (forward: since the previous op on the thread; warm-up included):");
            report.WriteLine(OpProfiler.Report());
        }
    }
}
