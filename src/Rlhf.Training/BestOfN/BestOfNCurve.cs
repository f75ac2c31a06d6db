using Rlhf.Training.Reporting;

namespace Rlhf.Training.BestOfN;

/// <summary>
/// Reward vs √KL for best-of-n from ONE set of N_max samples per prompt (Gao et al. 2022, arXiv 2210.10760, fig. 1):
/// instead of sampling anew for every n, the expected reward of best-of-n is computed exactly over all C(N, n)
/// subsets of the N samples — the unbiased estimator of Nakano et al. 2021 (WebGPT, arXiv 2112.09332) that Gao et al.
/// use. Sort a prompt's samples by proxy score ascending (ties: the later index first, so the first index
/// wins as in <see cref="BestOfNSampler.ArgMax"/>); the sample at sorted position j (0-based) is the proxy's pick of a
/// uniformly random n-subset iff the subset holds it and n − 1 of the j samples below it:
/// <code>
/// P(pick = j) = C(j, n − 1) / C(N, n)        E[R_bon(n)] = Σ_j P(pick = j) · R_(j)
/// </code>
/// (R = proxy or gold of that sample), averaged over prompts. It is unbiased for the best-of-n of the policy, and
/// lower-variance than resampling subsets. KL is <see cref="BestOfNKl.Analytic"/>(n) (an upper bound, see there).
/// </summary>
public static class BestOfNCurve
{
    /// <summary>The estimator's name written into curve.json.</summary>
    public const string EstimatorName = "exact-subset-average (Nakano et al. 2021)";

    /// <summary>n = 1, 2, 4, … ≤ <paramref name="nMax"/>, plus <paramref name="nMax"/> itself when it is not a power of two.</summary>
    public static List<int> DefaultNs(int nMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nMax, 1);
        var ns = new List<int>();
        for (int n = 1; n <= nMax; n *= 2) { ns.Add(n); if (n > nMax / 2) break; }
        if (ns[^1] != nMax) ns.Add(nMax);
        return ns;
    }

    /// <summary>E[value of the proxy's pick among a uniformly random n-subset of one prompt's samples].</summary>
    public static double ExpectedBestOf(IReadOnlyList<double> proxy, IReadOnlyList<double> value, int n)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(value);
        int count = proxy.Count;
        if (value.Count != count) throw new ArgumentException($"ExpectedBestOf: {count} proxy scores but {value.Count} values");
        if (n < 1 || n > count) throw new ArgumentOutOfRangeException(nameof(n), $"n must be in [1, {count}], got {n}");
        // 1. ascending by proxy; among ties the earlier index ranks higher (it is the one ArgMax picks)
        var order = Enumerable.Range(0, count).OrderBy(i => proxy[i]).ThenByDescending(i => i).ToArray();
        // 2. Σ_j C(j, n−1)/C(N, n) · value_(j), binomials in log space (N may be large)
        var logFact = new double[count + 1];
        for (int k = 1; k <= count; k++) logFact[k] = logFact[k - 1] + Math.Log(k);
        double LogC(int a, int b) => logFact[a] - logFact[b] - logFact[a - b];
        double logTotal = LogC(count, n), sum = 0;
        for (int j = n - 1; j < count; j++) sum += Math.Exp(LogC(j, n - 1) - logTotal) * value[order[j]];
        return sum;
    }

    /// <summary>The curve of <paramref name="groups"/> (all with the same N) at <paramref name="ns"/> (default <see cref="DefaultNs"/>).</summary>
    public static BestOfNCurveResult Compute(IReadOnlyList<BestOfNGroup> groups, IReadOnlyList<int>? ns = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        bool hasGold = groups.Count > 0 && groups.All(g => g.Candidates.All(c => c.Gold is not null));
        return Compute(
            groups.Select(g => g.Candidates.Select(c => c.Proxy).ToArray()).ToArray(),
            hasGold ? groups.Select(g => g.Candidates.Select(c => c.Gold!.Value).ToArray()).ToArray() : null, ns);
    }

    /// <summary>The curve of per-prompt proxy (and gold) scores, every prompt with the same number of samples N_max.</summary>
    public static BestOfNCurveResult Compute(double[][] proxy, double[][]? gold, IReadOnlyList<int>? ns = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        if (proxy.Length == 0) throw new ArgumentException("BestOfNCurve: no prompts");
        int nMax = proxy[0].Length;
        if (proxy.Any(p => p.Length != nMax)) throw new ArgumentException("BestOfNCurve: every prompt needs the same number of samples");
        if (gold is not null && (gold.Length != proxy.Length || gold.Any(g => g.Length != nMax))) throw new ArgumentException("BestOfNCurve: gold scores do not match the proxy scores' shape");
        ns ??= DefaultNs(nMax);
        var points = new List<BestOfNPoint>(ns.Count);
        foreach (int n in ns)
        {
            double p = 0, g = 0;
            for (int k = 0; k < proxy.Length; k++)
            {
                p += ExpectedBestOf(proxy[k], proxy[k], n);
                if (gold is not null) g += ExpectedBestOf(proxy[k], gold[k], n);
            }
            double kl = BestOfNKl.Analytic(n);
            points.Add(new BestOfNPoint(n, kl, Math.Sqrt(kl), p / proxy.Length, gold is null ? null : g / proxy.Length));
        }
        return new BestOfNCurveResult(proxy.Length, nMax, EstimatorName, points,
            FitGains(points, pt => pt.Proxy), gold is null ? null : FitGains(points, pt => pt.Gold!.Value));
    }

    /// <summary>
    /// The curve as a plot: proxy and gold reward against √KL_bon with markers, and each Gao fit R(1) + d(α − βd)
    /// dashed over [0, max d].
    /// </summary>
    public static SvgPlot ToPlot(BestOfNCurveResult curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        var plot = new SvgPlot($"Best-of-n, {curve.Prompts} prompts, N_max = {curve.NMax}", "√KL_bon(n) (nats^½)", "reward");
        var d = curve.Points.Select(p => p.SqrtKl).ToArray();
        plot.Add("proxy (RM)", d, curve.Points.Select(p => p.Proxy).ToArray());
        if (curve.Points.All(p => p.Gold is not null)) plot.Add("gold", d, curve.Points.Select(p => p.Gold!.Value).ToArray());
        var first = curve.Points.FirstOrDefault(p => p.N == 1);
        double dMax = d.Length > 0 ? d.Max() : 0;
        var grid = Enumerable.Range(0, 41).Select(i => dMax * i / 40).ToArray();
        if (first is not null && curve.ProxyFit is { } pf) plot.Add("proxy fit", grid, grid.Select(x => first.Proxy + pf.Predict(x)).ToArray(), dashed: true);
        if (first?.Gold is { } g1 && curve.GoldFit is { } gf) plot.Add("gold fit", grid, grid.Select(x => g1 + gf.Predict(x)).ToArray(), dashed: true);
        return plot;
    }

    /// <summary>Gao fit of R(n) − R(1) against √KL; null when fewer than two distinct n &gt; 1 or no n = 1 point.</summary>
    private static GaoFit? FitGains(List<BestOfNPoint> points, Func<BestOfNPoint, double> reward)
    {
        var baseline = points.FirstOrDefault(pt => pt.N == 1);
        if (baseline is null || points.Select(pt => pt.N).Where(n => n > 1).Distinct().Count() < 2) return null;
        return GaoFit.Fit(points.Select(pt => pt.SqrtKl).ToList(), points.Select(pt => reward(pt) - reward(baseline)).ToList());
    }
}
