using Rlhf.Training.Guard;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Guard;

/// <summary>Each monitor fires on its own condition (after its patience) and stays silent on healthy, noisy curves.</summary>
public class MonitorTests
{
    /// <summary>Feeds the run; returns the first Stop iteration (null: none) and asserts nothing stops before it.</summary>
    private static (int? Stop, string? Reason) FirstStop(IGuardMonitor monitor, IReadOnlyList<Dictionary<string, double>> run)
    {
        for (int t = 0; t < run.Count; t++)
        {
            var r = monitor.Observe(t, run[t]);
            if (r.Level == MonitorLevel.Stop) return (t, r.Reason);
        }
        return (null, null);
    }

    [Fact]
    public void Gold_drop_fires_after_patience_and_not_on_a_single_dip()
    {
        // rises to 1 by t = 20, then falls 0.05/iteration; raw (no EMA), absolute drop 0.12, patience 3
        var run = SyntheticRun.Single(RlMetricNames.GoldReward, 60, t => t <= 20 ? t / 20.0 : 1 - 0.05 * (t - 20), seed: 1, noise: 0);
        var (stop, reason) = FirstStop(new GoldDropMonitor(0.12, 0, patience: 3, smoothing: 0), run);
        Assert.Equal(25, stop);                       // drop > 0.12 from t = 23 (0.15), 3 in a row → 25
        Assert.Contains("gold_drop", reason);
        Assert.Contains("peak 1 at iteration 20", reason);
        // one bad iteration in a healthy rise: a warning, never a stop
        var dip = SyntheticRun.Single(RlMetricNames.GoldReward, 60, t => t == 30 ? 0 : t / 60.0, seed: 1, noise: 0);
        var monitor = new GoldDropMonitor(0.12, 0, patience: 3, smoothing: 0);
        var levels = dip.Select((m, t) => monitor.Observe(t, m).Level).ToList();
        Assert.Equal(MonitorLevel.Warning, levels[30]);
        Assert.DoesNotContain(MonitorLevel.Stop, levels);
    }

    [Fact]
    public void Gold_drop_fraction_is_of_the_gain_and_ema_smooths_noise()
    {
        // gain 0 → 2 then down: 10% of the gain = 0.2 allowed
        var run = SyntheticRun.Single(RlMetricNames.GoldReward, 80, t => t <= 40 ? -1 + t / 20.0 : 1 - 0.03 * (t - 40), seed: 2, noise: 0);
        var (stop, _) = FirstStop(new GoldDropMonitor(0, 0.1, patience: 2, smoothing: 0), run);
        Assert.Equal(48, stop);                       // drop 0.21 > 0.2 first at t = 47 (0.18 at 46); patience 2 → 48
        // healthy but noisy rise: the EMA keeps noise 0.05 from tripping a 0.1 absolute limit
        for (ulong seed = 1; seed <= 5; seed++)
        {
            var noisy = SyntheticRun.Single(RlMetricNames.GoldReward, 200, t => 1 - Math.Exp(-t / 50.0), seed, noise: 0.05);
            Assert.Null(FirstStop(new GoldDropMonitor(0.1, 0.1, patience: 3, smoothing: 0.7), noisy).Stop);
        }
    }

    [Fact]
    public void Heldout_drop_fires_only_while_the_proxy_keeps_rising()
    {
        Dictionary<string, double> M(double h, double p) => new() { [RlMetricNames.HeldOutReward] = h, [RlMetricNames.ProxyReward] = p };
        // held-out peaks at t = 20 and falls while the proxy rises: hacking
        var hacked = Enumerable.Range(0, 50).Select(t => M(t <= 20 ? t * 0.05 : 1 - 0.05 * (t - 20), 0.1 * t)).ToList();
        var (stop, reason) = FirstStop(new HeldOutRewardMonitor(0.2, patience: 3, smoothing: 0), hacked);
        Assert.Equal(27, stop);                       // drop 0.25 > 0.2 from t = 25; 3 in a row → 27
        Assert.Contains("while the proxy rose", reason);
        // both fall together (a bad update, not hacking): silent
        var bothFall = Enumerable.Range(0, 50).Select(t => M(t <= 20 ? t * 0.05 : 1 - 0.05 * (t - 20), t <= 20 ? t * 0.1 : 2 - 0.1 * (t - 20))).ToList();
        Assert.Null(FirstStop(new HeldOutRewardMonitor(0.2, patience: 3, smoothing: 0), bothFall).Stop);
        // healthy noisy run: silent
        Assert.Null(FirstStop(new HeldOutRewardMonitor(0.1), SyntheticRun.Healthy(300, seed: 4)).Stop);
    }

    [Fact]
    public void Ensemble_disagreement_fires_above_k_times_the_initial_level()
    {
        var rising = SyntheticRun.Single(RlMetricNames.EnsembleStd, 80, t => t < 30 ? 0.1 : 0.1 + 0.01 * (t - 30), seed: 3, noise: 0);
        var (stop, reason) = FirstStop(new EnsembleDisagreementMonitor(2, patience: 3, baselineIterations: 3), rising);
        Assert.Equal(43, stop);                       // 0.1 + 0.01·(t − 30) > 0.2 from t = 41
        Assert.Contains("ensemble_disagreement", reason);
        for (ulong seed = 1; seed <= 5; seed++)
            Assert.Null(FirstStop(new EnsembleDisagreementMonitor(2), SyntheticRun.Single(RlMetricNames.EnsembleStd, 300, _ => 0.2, seed, noise: 0.02)).Stop);
    }

    [Fact]
    public void Kl_budget_stops_at_the_first_iteration_over_budget()
    {
        var run = SyntheticRun.Single(RlMetricNames.Kl, 100, t => 0.1 * t, seed: 1, noise: 0);
        var (stop, reason) = FirstStop(new KlBudgetMonitor(5), run);
        Assert.Equal(51, stop);
        Assert.Contains("exceeds the budget 5", reason);
        Assert.Null(FirstStop(new KlBudgetMonitor(5), SyntheticRun.Single(RlMetricNames.Kl, 100, t => 0.04 * t, seed: 1, noise: 0.1)).Stop);
    }

    [Fact]
    public void Length_monitor_catches_collapse_and_explosion_but_not_noise()
    {
        var collapse = SyntheticRun.Single(RlMetricNames.ResponseLength, 60, t => t < 30 ? 30 : 3, seed: 1, noise: 0);
        var (stop, reason) = FirstStop(new LengthCollapseMonitor(0.3, 4, patience: 3), collapse);
        Assert.Equal(32, stop);
        Assert.Contains("collapsed", reason);
        var explode = SyntheticRun.Single(RlMetricNames.ResponseLength, 60, t => t < 30 ? 30 : 200, seed: 1, noise: 0);
        (stop, reason) = FirstStop(new LengthCollapseMonitor(0.3, 4, patience: 3), explode);
        Assert.Equal(32, stop);
        Assert.Contains("exploded", reason);
        Assert.Null(FirstStop(new LengthCollapseMonitor(0.3, double.PositiveInfinity, patience: 3), explode).Stop);  // max side off
        for (ulong seed = 1; seed <= 5; seed++)
            Assert.Null(FirstStop(new LengthCollapseMonitor(0.3, 4), SyntheticRun.Single(RlMetricNames.ResponseLength, 300, _ => 30, seed, noise: 4)).Stop);
    }

    [Fact]
    public void Repetition_monitor_fires_above_its_threshold_after_patience()
    {
        var looping = SyntheticRun.Single(RlMetricNames.RepetitionRate, 60, t => t < 40 ? 0.05 : 0.8, seed: 1, noise: 0);
        var (stop, reason) = FirstStop(new RepetitionMonitor(0.5, patience: 3), looping);
        Assert.Equal(42, stop);
        Assert.Contains("repetition rate 0.8 exceeds 0.5", reason);
        for (ulong seed = 1; seed <= 5; seed++)
            Assert.Null(FirstStop(new RepetitionMonitor(0.5), SyntheticRun.Single(RlMetricNames.RepetitionRate, 300, _ => 0.1, seed, noise: 0.05)).Stop);
    }

    [Fact]
    public void Monitors_without_their_metric_stay_silent_and_keep_their_streak()
    {
        var monitor = new RepetitionMonitor(0.5, patience: 2);
        Assert.Equal(MonitorLevel.Warning, monitor.Observe(0, new Dictionary<string, double> { [RlMetricNames.RepetitionRate] = 0.9 }).Level);
        Assert.Equal(MonitorLevel.Ok, monitor.Observe(1, new Dictionary<string, double> { [RlMetricNames.Kl] = 1 }).Level);
        Assert.Equal(MonitorLevel.Ok, monitor.Observe(2, new Dictionary<string, double> { [RlMetricNames.RepetitionRate] = double.NaN }).Level);
        Assert.Equal(MonitorLevel.Stop, monitor.Observe(3, new Dictionary<string, double> { [RlMetricNames.RepetitionRate] = 0.9 }).Level);
        foreach (var m in new GuardConfig(KlBudget: 1).CreateMonitors())
            for (int t = 0; t < 10; t++) Assert.Equal(MonitorLevel.Ok, m.Observe(t, new Dictionary<string, double>()).Level);
    }

    [Fact]
    public void Bad_settings_are_rejected_with_a_message()
    {
        Assert.Contains("give an absolute drop or a fraction", Assert.Throws<ArgumentException>(() => new GoldDropMonitor(0, 0)).Message);
        Assert.Throws<ArgumentException>(() => new GoldDropMonitor(0.1, 0, smoothing: 1));
        Assert.Throws<ArgumentException>(() => new KlBudgetMonitor(0));
        Assert.Throws<ArgumentException>(() => new EnsembleDisagreementMonitor(1));
        Assert.Throws<ArgumentException>(() => new LengthCollapseMonitor(0, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new RepetitionMonitor(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RepetitionMonitor(0.5, patience: 0));
    }
}
