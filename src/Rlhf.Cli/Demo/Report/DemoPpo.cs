using Rlhf.Training.Rl;
using Rlhf.Data.Metrics;
using Rlhf.Training.Reporting;

namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// The demo's PPO run: its over-optimisation curve (√KL, proxy and gold per iteration, smoothed over
/// <see cref="Window"/> iterations — see <see cref="WindowFor"/> — with R_RL fits), the same unsmoothed
/// (<see cref="Raw"/>), the per-iteration response length and reward-model disagreement, and the guard replay.
/// </summary>
public sealed record DemoPpo(OveroptimizationCurve Curve, OveroptimizationCurve Raw, int Window, IReadOnlyList<DemoPoint> ResponseLength, IReadOnlyList<DemoPoint> EnsembleStd, DemoGuard? Guard)
{
    /// <summary>Smoothing window for a run of <paramref name="iterations"/>: none up to 39 iterations, then up to 5 (a 100-iteration run: 5).</summary>
    public static int WindowFor(int iterations) => Math.Clamp(iterations / 20, 1, 5);

    /// <summary>Builds the run from its metrics (as <c>rlhf report overopt</c> does) and its guard replay (may be null); <paramref name="label"/> names its curves.</summary>
    public static DemoPpo FromMetrics(IReadOnlyList<MetricsEntry> entries, DemoGuard? guard, string label = "PPO")
    {
        ArgumentNullException.ThrowIfNull(entries);
        int window = WindowFor(entries.Count(e => e.Step > 0));
        var curve = OveroptimizationCurve.FromMetrics(label, entries, window);
        var raw = window == 1 ? curve : OveroptimizationCurve.FromMetrics(label, entries, 1);
        var rl = entries.Where(e => e.Step > 0).ToList();
        return new DemoPpo(curve, raw, window, DemoLossCurve.Points(rl, RlMetricNames.ResponseLength), DemoLossCurve.Points(rl, RlMetricNames.EnsembleStd), guard);
    }

    /// <summary>Index (into the curve) of the gold peak; null without gold.</summary>
    public int? PeakIndex => Curve.GoldPeakIteration is { } it ? IndexOf(it) : null;

    /// <summary>Index of the last iteration.</summary>
    public int LastIndex => Curve.Iterations.Count - 1;

    /// <summary>Index of the iteration <paramref name="iteration"/>, or null when the curve does not have it.</summary>
    public int? IndexOf(int iteration)
    {
        for (int i = 0; i < Curve.Iterations.Count; i++) if (Curve.Iterations[i] == iteration) return i;
        return null;
    }

    /// <summary>Index of the iteration whose (smoothed) √KL is closest to <paramref name="sqrtKl"/> (the first on ties).</summary>
    public int ClosestTo(double sqrtKl)
    {
        int best = 0;
        for (int i = 1; i < Curve.SqrtKl.Count; i++)
            if (Math.Abs(Curve.SqrtKl[i] - sqrtKl) < Math.Abs(Curve.SqrtKl[best] - sqrtKl)) best = i;
        return best;
    }
}
