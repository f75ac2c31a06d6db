using Rlhf.Training.Logging;
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
}
