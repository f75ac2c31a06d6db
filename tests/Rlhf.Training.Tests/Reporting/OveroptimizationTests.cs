using Rlhf.Training.Reporting;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Tests.Reporting;

public class OveroptimizationTests
{
    [Fact]
    public void GaoRlFit_RecoversTheParametersOfAnExactCurve_AndItsPeak()
    {
        double alpha = 0.8, beta = 0.5;
        var d = Enumerable.Range(0, 30).Select(i => 0.2 * i).ToArray(); // includes d = 0, which the fit skips
        var r = d.Select(x => x == 0 ? 0 : x * (alpha - beta * Math.Log(x))).ToArray();
        var fit = GaoRlFit.Fit(d, r);
        Assert.Equal(alpha, fit.Alpha, 9);
        Assert.Equal(beta, fit.Beta, 9);
        Assert.Equal(29, fit.Points);
        Assert.True(fit.Rmse < 1e-9);
        // independent check of the peak: the grid maximum of the curve sits next to exp(α/β − 1)
        var grid = Enumerable.Range(1, 100000).Select(i => i * 1e-4).ToArray();
        double argmax = grid.MaxBy(x => x * (alpha - beta * Math.Log(x)));
        Assert.Equal(argmax, fit.PeakDistance!.Value, 3);
        Assert.Throws<ArgumentException>(() => GaoRlFit.Fit([0, 1, 1], [0, 1, 1]));
    }

    [Fact]
    public void Curve_FromMetrics_SmoothsBaselinesAndFindsTheGoldPeak()
    {
        // KL grows as i², so √KL = i; gold rises to iteration 6, then falls; step 0 (evaluation) is ignored
        var entries = new List<MetricsEntry> { new(0, new Dictionary<string, double> { ["eval"] = 1 }) };
        double[] gold = [0, 1, 2, 3, 4, 5, 4, 3, 2, 1];
        for (int i = 0; i < 10; i++)
            entries.Add(new(i + 1, new Dictionary<string, double> { ["kl"] = (double)i * i, ["proxy_reward"] = i, ["gold_reward"] = gold[i] }));
        var curve = OveroptimizationCurve.FromMetrics("run", entries, window: 1);
        Assert.Equal(Enumerable.Range(1, 10), curve.Iterations);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), curve.SqrtKl);
        Assert.Equal(6, curve.GoldPeakIteration);
        var smoothed = OveroptimizationCurve.FromMetrics("run", entries, window: 3);
        Assert.Equal((0 + 1) / 2.0, smoothed.Gold![0], 12);          // edge: mean of two
        Assert.Equal((4 + 5 + 4) / 3.0, smoothed.Gold[5], 12);
        Assert.Equal(6, smoothed.GoldPeakIteration);
        Assert.Throws<ArgumentException>(() => OveroptimizationCurve.FromMetrics("empty", entries.Take(1).ToList()));
    }

    [Fact]
    public void Curve_fits_the_unsmoothed_gains_over_iteration_one_and_smooths_only_the_display()
    {
        // exact Gao RL curves: gold gain = d(0.8 − 0.5 ln d), proxy gain = d(1 − 0.1 ln d) over baselines 0.3 and −0.2,
        // with iteration 1 at d = 0 (samples of the initial policy); a smoothed fit could not recover α and β
        var entries = new List<MetricsEntry>();
        for (int i = 0; i < 12; i++)
        {
            double d = 0.25 * i;
            double Gain(double a, double b) => d == 0 ? 0 : d * (a - b * Math.Log(d));
            entries.Add(new(i + 1, new Dictionary<string, double> { ["kl"] = d * d, ["proxy_reward"] = -0.2 + Gain(1, 0.1), ["gold_reward"] = 0.3 + Gain(0.8, 0.5) }));
        }
        var curve = OveroptimizationCurve.FromMetrics("run", entries, window: 5);
        Assert.Equal(0.8, curve.GoldFit!.Alpha, 6);
        Assert.Equal(0.5, curve.GoldFit.Beta, 6);
        Assert.Equal(1.0, curve.ProxyFit!.Alpha, 6);
        Assert.Equal(0.1, curve.ProxyFit.Beta, 6);
        Assert.Equal(11, curve.GoldFit.Points);
        Assert.NotEqual(entries[1].Get("gold_reward")!.Value, curve.Gold![1]); // the plotted values are smoothed
    }

    [Fact]
    public void Both_fits_define_rmse_over_the_points_with_d_above_zero()
    {
        double[] d = [0, 1, 2, 3], r = [0, 1, 1, 0];
        var bon = Rlhf.Training.BestOfN.GaoFit.Fit(d, r);
        double sse = 0;
        for (int i = 1; i < 4; i++) sse += Math.Pow(r[i] - bon.Predict(d[i]), 2);
        Assert.Equal(3, bon.Points);
        Assert.Equal(Math.Sqrt(sse / 3), bon.Rmse, 12);
        var rl = GaoRlFit.Fit(d, r);
        double sseRl = 0;
        for (int i = 1; i < 4; i++) sseRl += Math.Pow(r[i] - rl.Predict(d[i]), 2);
        Assert.Equal((3, Math.Sqrt(sseRl / 3)), (rl.Points, rl.Rmse));
    }
}
