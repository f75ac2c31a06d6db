using System.Text.Json.Serialization;
using Rlhf.Training.Rl;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Reporting;

/// <summary>
/// One RL run as Gao et al.'s over-optimisation picture: per iteration √KL(π ‖ π_ref) against the proxy reward (what
/// RL maximised) and the gold reward (what we wanted), each smoothed by a centred moving average over
/// <c>window</c> iterations for display (a 32-sample iteration is noisy), plus the gold peak (of the smoothed gold) and
/// R_RL fits. The fits use the UNSMOOTHED per-iteration points (√KL_i, R_i − R_1), as the paper fits its measured
/// points: iteration 1's samples come from the initial policy, so it is the d = 0 baseline; smoothing would mix that
/// baseline into later points and bend the curve.
/// </summary>
public sealed record OveroptimizationCurve(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("iterations")] IReadOnlyList<int> Iterations,
    [property: JsonPropertyName("sqrt_kl")] IReadOnlyList<double> SqrtKl,
    [property: JsonPropertyName("proxy")] IReadOnlyList<double> Proxy,
    [property: JsonPropertyName("gold")] IReadOnlyList<double>? Gold,
    [property: JsonPropertyName("gold_peak_iteration")] int? GoldPeakIteration,
    [property: JsonPropertyName("proxy_fit")] GaoRlFit? ProxyFit,
    [property: JsonPropertyName("gold_fit")] GaoRlFit? GoldFit)
{
    /// <summary>Builds the curve from a run's metrics (entries with <c>kl</c> and <c>proxy_reward</c>; step 0 is skipped).</summary>
    public static OveroptimizationCurve FromMetrics(string label, IReadOnlyList<MetricsEntry> entries, int window = 5)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var rows = entries.Where(e => e.Step > 0 && e.Get(RlMetricNames.Kl) is not null && e.Get(RlMetricNames.ProxyReward) is not null).ToList();
        if (rows.Count == 0) throw new ArgumentException($"{label}: no RL iterations with '{RlMetricNames.Kl}' and '{RlMetricNames.ProxyReward}' in the metrics");
        bool hasGold = rows.All(e => e.Get(RlMetricNames.GoldReward) is not null);
        // k1 KL can come out slightly negative on a batch (an unbiased estimate of a small KL); clamp before √
        var kl = Smooth(rows.Select(e => Math.Max(0, e.Get(RlMetricNames.Kl)!.Value)).ToArray(), window);
        var proxy = Smooth(rows.Select(e => e.Get(RlMetricNames.ProxyReward)!.Value).ToArray(), window);
        var gold = hasGold ? Smooth(rows.Select(e => e.Get(RlMetricNames.GoldReward)!.Value).ToArray(), window) : null;
        var d = kl.Select(Math.Sqrt).ToArray();
        var iterations = rows.Select(e => e.Step).ToArray();
        int? peak = gold is null ? null : iterations[Array.IndexOf(gold, gold.Max())];
        // the fits: raw points, gains over iteration 1 (d = 0)
        var rawD = rows.Select(e => Math.Sqrt(Math.Max(0, e.Get(RlMetricNames.Kl)!.Value))).ToArray();
        GaoRlFit? Fit(string metric)
        {
            var r = rows.Select(e => e.Get(metric)!.Value).ToArray();
            return TryFit(rawD, r.Select(v => v - r[0]).ToArray());
        }
        return new OveroptimizationCurve(label, iterations, d, proxy, gold, peak, Fit(RlMetricNames.ProxyReward), gold is null ? null : Fit(RlMetricNames.GoldReward));
    }

    /// <summary>Centred moving average over <paramref name="window"/> points (shorter at the ends).</summary>
    public static double[] Smooth(IReadOnlyList<double> values, int window)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new double[values.Count];
        int half = window / 2;
        for (int i = 0; i < values.Count; i++)
        {
            int lo = Math.Max(0, i - half), hi = Math.Min(values.Count - 1, i + half);
            double s = 0;
            for (int j = lo; j <= hi; j++) s += values[j];
            result[i] = s / (hi - lo + 1);
        }
        return result;
    }

    private static GaoRlFit? TryFit(double[] d, double[] gain)
    {
        try { return GaoRlFit.Fit(d, gain); }
        catch (ArgumentException) { return null; } // fewer than two distinct distances: no fit
    }
}
