using System.Globalization;
using System.Text;
using Rlhf.Training.BestOfN;

namespace Rlhf.Training.Reporting;

/// <summary>
/// The reward-vs-√KL figure of Gao et al. 2022 for our runs: every RL run's proxy (solid) and gold (dashed) reward against
/// √KL to the reference, with best-of-n (proxy and gold) from a <see cref="BestOfNCurveResult"/> on the same axes, and a
/// plain-text table of the same numbers for notes and logs.
/// </summary>
public static class OveroptimizationReport
{
    /// <summary>The plot: per run proxy + gold, then best-of-n proxy + gold when given.</summary>
    public static SvgPlot Plot(IReadOnlyList<OveroptimizationCurve> runs, BestOfNCurveResult? bestOfN)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var plot = new SvgPlot("Reward vs √KL: proxy (RM) keeps rising, gold peaks", "√KL(π ‖ π_ref) (nats^½)", "reward");
        foreach (var run in runs)
        {
            plot.Add($"{run.Label} proxy", run.SqrtKl, run.Proxy);
            if (run.Gold is not null) plot.Add($"{run.Label} gold", run.SqrtKl, run.Gold, dashed: true);
        }
        if (bestOfN is not null)
        {
            var d = bestOfN.Points.Select(p => p.SqrtKl).ToArray();
            plot.Add("best-of-n proxy", d, bestOfN.Points.Select(p => p.Proxy).ToArray());
            if (bestOfN.Points.All(p => p.Gold is not null)) plot.Add("best-of-n gold", d, bestOfN.Points.Select(p => p.Gold!.Value).ToArray(), dashed: true);
        }
        return plot;
    }

    /// <summary>A text table: for each run every <paramref name="every"/>-th iteration (and the gold peak), then the best-of-n points, then the fits.</summary>
    public static string Table(IReadOnlyList<OveroptimizationCurve> runs, BestOfNCurveResult? bestOfN, int every = 5)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var sb = new StringBuilder();
        string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        sb.AppendLine("| run | iteration / n | √KL | proxy | gold |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var run in runs)
            for (int i = 0; i < run.Iterations.Count; i++)
            {
                bool peak = run.Iterations[i] == run.GoldPeakIteration;
                if (i % every != 0 && i != run.Iterations.Count - 1 && !peak) continue;
                sb.AppendLine($"| {run.Label} | {run.Iterations[i]}{(peak ? " (gold peak)" : "")} | {F(run.SqrtKl[i])} | {F(run.Proxy[i])} | {(run.Gold is null ? "–" : F(run.Gold[i]))} |");
            }
        if (bestOfN is not null)
            foreach (var p in bestOfN.Points)
                sb.AppendLine($"| best-of-n | n = {p.N} | {F(p.SqrtKl)} | {F(p.Proxy)} | {(p.Gold is null ? "–" : F(p.Gold.Value))} |");
        foreach (var run in runs)
        {
            if (run.ProxyFit is { } pf) sb.AppendLine($"{run.Label}: proxy gain ≈ d(α − β ln d), α = {F(pf.Alpha)}, β = {F(pf.Beta)} (rmse {F(pf.Rmse)})");
            if (run.GoldFit is { } gf) sb.AppendLine($"{run.Label}: gold gain ≈ d(α − β ln d), α = {F(gf.Alpha)}, β = {F(gf.Beta)} (rmse {F(gf.Rmse)})"
                + (gf.PeakDistance is { } dp ? $", peak at √KL ≈ {F(dp)}" : ""));
        }
        if (bestOfN?.GoldFit is { } bg) sb.AppendLine($"best-of-n: gold gain ≈ d(α − βd), α = {F(bg.Alpha)}, β = {F(bg.Beta)}" + (bg.PeakDistance is { } p2 ? $", peak at √KL ≈ {F(p2)}" : ""));
        return sb.ToString();
    }
}
