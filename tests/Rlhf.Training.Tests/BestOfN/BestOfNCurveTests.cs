using Rlhf.Tensors;
using Rlhf.Training.BestOfN;

namespace Rlhf.Training.Tests.BestOfN;

public class BestOfNCurveTests
{
    [Fact]
    public void Analytic_kl_is_log_n_minus_n_minus_1_over_n()
    {
        Assert.Equal(0, BestOfNKl.Analytic(1));
        Assert.Equal(Math.Log(2) - 0.5, BestOfNKl.Analytic(2), 15);
        Assert.Equal(Math.Log(8) - 7.0 / 8, BestOfNKl.Analytic(8), 15);   // 1.2044 nats
        Assert.Throws<ArgumentOutOfRangeException>(() => BestOfNKl.Analytic(0));
    }

    [Fact]
    public void Subset_estimator_equals_brute_force_over_all_subsets_with_ties()
    {
        double[] proxy = [0.3, 1.2, -0.5, 1.2, 0.7, 0.3, 2.0];   // ties at 1.2 and 0.3: the first index wins
        double[] gold = [1, 2, 3, 4, 5, 6, 7];
        int count = proxy.Length;
        for (int n = 1; n <= count; n++)
        {
            double sum = 0; int subsets = 0;
            for (int mask = 0; mask < 1 << count; mask++)
            {
                if (System.Numerics.BitOperations.PopCount((uint)mask) != n) continue;
                var members = Enumerable.Range(0, count).Where(i => (mask >> i & 1) == 1).ToArray();
                int pick = members[BestOfNSampler.ArgMax(members.Select(i => proxy[i]).ToArray())];
                sum += gold[pick]; subsets++;
            }
            Assert.Equal(sum / subsets, BestOfNCurve.ExpectedBestOf(proxy, gold, n), 12);
        }
        Assert.Equal(gold.Average(), BestOfNCurve.ExpectedBestOf(proxy, gold, 1), 12);
        Assert.Equal(7, BestOfNCurve.ExpectedBestOf(proxy, gold, count), 12);
    }

    [Fact]
    public void Curve_points_follow_powers_of_two_and_the_proxy_never_decreases()
    {
        Assert.Equal([1, 2, 4, 8], BestOfNCurve.DefaultNs(8));
        Assert.Equal([1, 2, 4, 8, 12], BestOfNCurve.DefaultNs(12));
        Assert.Equal([1], BestOfNCurve.DefaultNs(1));
        var rng = new Rng(3);
        var proxy = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 16).Select(_ => (double)rng.NextNormal()).ToArray()).ToArray();
        var curve = BestOfNCurve.Compute(proxy, null);
        Assert.Equal([1, 2, 4, 8, 16], curve.Points.Select(p => p.N));
        Assert.Equal(proxy.Average(p => p.Average()), curve.Points[0].Proxy, 12);
        for (int i = 1; i < curve.Points.Count; i++)
        {
            Assert.True(curve.Points[i].Proxy >= curve.Points[i - 1].Proxy);
            Assert.Equal(Math.Sqrt(BestOfNKl.Analytic(curve.Points[i].N)), curve.Points[i].SqrtKl, 15);
        }
        Assert.Null(curve.GoldFit);
        Assert.NotNull(curve.ProxyFit);
        Assert.Null(BestOfNCurve.Compute([[1.0, 2.0]], null).ProxyFit);   // one n > 1: nothing to fit
    }

    [Fact]
    public void Overoptimised_gold_rises_then_falls_and_its_fit_peaks_inside_the_range()
    {
        // gold = proxy − 0.35·proxy²: agrees with the proxy for modest scores, punishes extreme ones (the RM's blind spot)
        var rng = new Rng(11);
        var proxy = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, 64).Select(_ => (double)rng.NextNormal()).ToArray()).ToArray();
        var gold = proxy.Select(p => p.Select(x => x - 0.35 * x * x).ToArray()).ToArray();
        var curve = BestOfNCurve.Compute(proxy, gold);
        var g = curve.Points.Select(p => p.Gold!.Value).ToArray();
        int peak = Array.IndexOf(g, g.Max());
        Assert.InRange(peak, 1, g.Length - 2);                 // rises, then falls
        Assert.True(curve.GoldFit!.Beta > 0 && curve.GoldFit.PeakDistance < curve.Points[^1].SqrtKl, $"{curve.GoldFit}");
        Assert.True(curve.ProxyFit!.Alpha > 0);
    }

    [Fact]
    public void Gao_fit_recovers_exact_parameters_and_rejects_degenerate_points()
    {
        double[] d = [0, 0.5, 0.8, 1.1, 1.5, 2.0];
        var fit = GaoFit.Fit(d, d.Select(x => x * (1.3 - 0.4 * x)).ToArray());
        Assert.Equal(1.3, fit.Alpha, 10);
        Assert.Equal(0.4, fit.Beta, 10);
        Assert.Equal(1.3 / 0.8, fit.PeakDistance!.Value, 10);
        Assert.True(fit.Rmse < 1e-12);
        Assert.Equal(0.5 * (1.3 - 0.2), fit.Predict(0.5), 12);
        // with noise the least-squares solution beats nearby parameters
        var rng = new Rng(2);
        var noisy = d.Select(x => x * (1.3 - 0.4 * x) + 0.05 * rng.NextNormal()).ToArray();
        var nf = GaoFit.Fit(d, noisy);
        double Sse(double a, double b) => d.Select((x, i) => Math.Pow(noisy[i] - x * (a - b * x), 2)).Sum();
        foreach (var (da, db) in new[] { (1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3) })
            Assert.True(Sse(nf.Alpha + da, nf.Beta + db) > Sse(nf.Alpha, nf.Beta));
        Assert.Null(GaoFit.Fit([1, 2], [1, 3]).PeakDistance);   // convex: β < 0, no peak
        Assert.Throws<ArgumentException>(() => GaoFit.Fit([0, 1, 1], [0, 1, 1]));
        Assert.Throws<ArgumentException>(() => GaoFit.Fit([1, 2], [1]));
    }
}
