using Xunit.Abstractions;
using System.Text.Json.Nodes;
using Rlhf.Training.Guard;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Guard;

public class RewardHackingGuardTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1UL)] [InlineData(2UL)] [InlineData(3UL)] [InlineData(4UL)] [InlineData(5UL)]
    [InlineData(6UL)] [InlineData(7UL)] [InlineData(8UL)] [InlineData(9UL)] [InlineData(10UL)]
    public void Overoptimising_run_is_cropped_soon_after_the_gold_peak_and_keeps_a_near_peak_checkpoint(ulong seed)
    {
        // proxy keeps rising, gold = d(1 − 0.5d) + noise (peak 0.5 at iteration 50), KL grows 0.02/iteration
        var run = SyntheticRun.Overoptimising(200, seed);
        var guard = new RewardHackingGuard(new GuardConfig());
        var (stop, verdicts) = SyntheticRun.Drive(guard, run);

        Assert.NotNull(stop);
        double peak = SyntheticRun.TrueGold(SyntheticRun.PeakIteration);
        output.WriteLine($"seed {seed}: stop {stop} (true gold {SyntheticRun.TrueGold(stop!.Value) / peak:P1} of peak), best {guard.BestIteration} ({SyntheticRun.TrueGold(guard.BestIteration) / peak:P1})");
        Assert.True(stop > SyntheticRun.PeakIteration, $"stopped at {stop}, before the true peak {SyntheticRun.PeakIteration}");
        // cropped while the true gold is still within ~10-15% of the peak (measured 85-93% over these seeds; it falls to 0 by iteration 200)
        Assert.True(SyntheticRun.TrueGold(stop!.Value) >= 0.8 * peak, $"stopped at {stop} with true gold {SyntheticRun.TrueGold(stop.Value):F3}, peak {peak:F3}");
        // the checkpoint kept (best by gold) is within 5% of the gold peak (measured 96-100%)
        Assert.True(SyntheticRun.TrueGold(guard.BestIteration) >= 0.95 * peak,
            $"best iteration {guard.BestIteration} has true gold {SyntheticRun.TrueGold(guard.BestIteration):F3}, peak {peak:F3}");
        Assert.Equal(RlMetricNames.GoldReward, guard.Criterion);
        Assert.Equal(guard.BestIteration, verdicts.FindLastIndex(v => v.IsBest));
        Assert.Contains("gold_drop", verdicts[^1].Reason);
        Assert.Contains($"best iteration {guard.BestIteration}", verdicts[^1].Reason);
    }

    [Theory]
    [InlineData(1UL)] [InlineData(2UL)] [InlineData(3UL)] [InlineData(4UL)] [InlineData(5UL)]
    public void Healthy_run_is_never_stopped_by_the_default_guard(ulong seed)
    {
        var run = SyntheticRun.Healthy(300, seed);
        var guard = new RewardHackingGuard(new GuardConfig(KlBudget: 10));
        var (stop, verdicts) = SyntheticRun.Drive(guard, run);
        Assert.True(stop is null, verdicts.LastOrDefault()?.Reason);
        Assert.False(guard.Stopped);
        Assert.True(guard.BestIteration > 150, $"best {guard.BestIteration}: a rising gold keeps producing new bests");
    }

    [Fact]
    public void Without_gold_the_best_is_the_proxy_peak_among_healthy_iterations_only()
    {
        // proxy rises all along; from iteration 20 the length collapses → warnings, then a stop
        var guard = new RewardHackingGuard(new GuardConfig(Patience: 3));
        GuardVerdict? last = null;
        for (int t = 0; t < 40 && last?.Stop != true; t++)
        {
            var m = new Dictionary<string, double> { [RlMetricNames.ProxyReward] = 0.1 * t, [RlMetricNames.ResponseLength] = t < 20 ? 30 : 2 };
            last = guard.Observe(t, m);
            Assert.Equal(t < 20, last.IsBest);          // warning iterations cannot become best on proxy
            if (t >= 20 && !last.Stop) Assert.NotEmpty(guard.Warnings);
        }
        Assert.True(last!.Stop);
        Assert.Equal(19, guard.BestIteration);          // the stop comes at 22 = 20 + patience − 1
        Assert.Equal(RlMetricNames.ProxyReward, guard.Criterion);
        Assert.Contains("length", last.Reason);
        Assert.Contains("collapsed", last.Reason);
        Assert.Contains("best iteration 19 (proxy_reward 1.9)", last.Reason);
    }

    [Fact]
    public void Gold_criterion_takes_over_from_proxy_once_gold_appears()
    {
        var guard = new RewardHackingGuard(new GuardConfig());
        Assert.True(guard.Observe(0, new Dictionary<string, double> { [RlMetricNames.ProxyReward] = 5 }).IsBest);
        Assert.True(guard.Observe(1, new Dictionary<string, double> { [RlMetricNames.ProxyReward] = 1, [RlMetricNames.GoldReward] = -3 }).IsBest);
        Assert.False(guard.Observe(2, new Dictionary<string, double> { [RlMetricNames.ProxyReward] = 9 }).IsBest); // no gold: not comparable
        Assert.True(guard.Observe(3, new Dictionary<string, double> { [RlMetricNames.ProxyReward] = 0, [RlMetricNames.GoldReward] = -2 }).IsBest);
        Assert.Equal((3, -2.0), (guard.BestIteration, guard.BestScore!.Value));
    }

    [Fact]
    public void Resumed_guard_gives_exactly_the_uninterrupted_verdicts()
    {
        var run = SyntheticRun.Overoptimising(200, seed: 3);
        var config = new GuardConfig(HeldOutDrop: 0.05, KlBudget: 100);
        var uninterrupted = new RewardHackingGuard(config);
        var full = SyntheticRun.Drive(uninterrupted, run);
        Assert.NotNull(full.Stop);

        var first = new RewardHackingGuard(config);
        for (int t = 0; t < 55; t++) first.Observe(t, run[t]);
        string saved = first.SaveState().ToJsonString();            // as written to disk with a checkpoint
        var resumed = new RewardHackingGuard(config);
        resumed.LoadState(JsonNode.Parse(saved)!);
        Assert.Equal(saved, resumed.SaveState().ToJsonString());
        var rest = SyntheticRun.Drive(resumed, run, from: 55);
        Assert.Equal(full.Stop, rest.Stop);
        Assert.Equal(full.Verdicts.Skip(55), rest.Verdicts);
        Assert.Equal(uninterrupted.SaveState().ToJsonString(), resumed.SaveState().ToJsonString());
    }

    [Fact]
    public void Loading_state_saved_with_other_monitors_names_the_missing_one()
    {
        var saved = JsonNode.Parse(new RewardHackingGuard(new GuardConfig(MaxRepetition: 0.4)).SaveState().ToJsonString())!;
        var ex = Assert.Throws<InvalidDataException>(() => new RewardHackingGuard(new GuardConfig(MaxRepetition: 0.4, KlBudget: 2)).LoadState(saved));
        Assert.Contains("kl_budget", ex.Message);
    }

    [Fact]
    public void Config_switches_monitors_on_and_off_and_duplicate_names_are_rejected()
    {
        Assert.Equal(["gold_drop", "heldout_drop", "ensemble_disagreement", "length", "repetition"], new GuardConfig().CreateMonitors().Select(m => m.Name));
        Assert.Equal(["kl_budget"], new GuardConfig(null, null, HeldOutDrop: null, KlBudget: 4, MaxEnsembleStdRatio: null, MinLengthRatio: null,
            MaxLengthRatio: null, MaxRepetition: null).CreateMonitors().Select(m => m.Name));
        Assert.Throws<ArgumentException>(() => new RewardHackingGuard([new RepetitionMonitor(0.5), new RepetitionMonitor(0.6)]));
        var empty = new RewardHackingGuard([]);
        Assert.False(empty.Observe(0, new Dictionary<string, double> { [RlMetricNames.Kl] = 1e9 }).Stop);
    }
}
