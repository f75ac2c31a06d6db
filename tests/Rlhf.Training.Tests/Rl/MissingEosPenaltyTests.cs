using Rlhf.Data.Metrics;
using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Training.Scoring;
using Rlhf.Data.Prompts;
using Rlhf.Training.Tests.Common;
using Rlhf.Training.Tests.Ppo;

namespace Rlhf.Training.Tests.Rl;

public sealed class MissingEosPenaltyTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static RolloutSample Sample(bool finished) => new(0, new RlPrompt("p"), [1], [2, 3], [0f, 0f], "r", finished);

    [Fact]
    public void Subtracts_from_unfinished_responses_only_and_leaves_NaN_alone()
    {
        RolloutSample[] samples = [Sample(true), Sample(false), Sample(false)];
        RewardOutcome[] outcomes = [new(1f), new(0.5f), new(float.NaN)];
        var penalised = MissingEosPenalty.Apply(samples, outcomes, 2f);
        Assert.Equal(1f, penalised[0].Reward);
        Assert.Equal(-1.5f, penalised[1].Reward);
        Assert.Contains("no end-of-text", penalised[1].Note);
        Assert.True(float.IsNaN(penalised[2].Reward));
        Assert.Equal(outcomes, MissingEosPenalty.Apply(samples, outcomes, null)); // default: off
        Assert.Equal(2 / 3.0, MissingEosPenalty.TruncatedFraction(samples), 12);
    }

    [Fact]
    public void Ppo_logs_the_truncated_fraction_and_lowers_the_reward_of_cut_responses()
    {
        PpoTrainer Trainer(string dir, float? penalty)
        {
            var (policy, reference) = PpoTestKit.Models(3);
            return new PpoTrainer(PpoTestKit.Config(_tmp.File(dir), 1) with { MissingEosPenalty = penalty }, PpoTestKit.Tok, policy, reference,
                new SayTokenReward(), PpoTestKit.Prompts, TextWriter.Null, TrainingFixtures.Quiet);
        }
        Trainer("off", null).Run();
        Trainer("on", 1f).Run();
        var off = MetricsReader.Read(_tmp.File("off/metrics.jsonl"))[0];
        var on = MetricsReader.Read(_tmp.File("on/metrics.jsonl"))[0];
        double truncated = off.Get(MissingEosPenalty.MetricName)!.Value;
        Assert.True(truncated > 0, "the tiny untrained policy should run into the 6-token cap");
        Assert.Equal(truncated, on.Get(MissingEosPenalty.MetricName)!.Value);   // same seed: the same first rollout
        Assert.Equal(off.Get(RlMetricNames.ProxyReward)!.Value - truncated, on.Get(RlMetricNames.ProxyReward)!.Value, 5);
    }
}
