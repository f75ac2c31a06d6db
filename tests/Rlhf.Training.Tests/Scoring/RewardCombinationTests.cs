using Rlhf.Training.Labeling;
using Rlhf.Training.Scoring;
using Rlhf.Training.Tests.Common;

namespace Rlhf.Training.Tests.Scoring;

public class RewardCombinationTests
{
    private sealed class Fixed(string name, Func<RewardRequest, RewardOutcome> f) : IRewardFunction
    {
        public string Name => name;
        public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch) => [.. batch.Select(f)];
    }

    private static readonly RewardRequest[] Batch = [new("p", "short"), new("p", "a longer answer")];

    [Fact]
    public void Weighted_reward_sums_weighted_rewards_combines_spreads_and_concatenates_notes()
    {
        var a = new Fixed("a", r => new(r.Completion.Length, 0.3f, r.Completion == "short" ? "too short" : null));
        var b = new Fixed("b", _ => new(2f, 0.4f));
        var c = new Fixed("c", r => new(1f, null, r.Completion == "short" ? "odd" : null));
        var combined = new WeightedReward([(a, 0.5), (b, -1.0), (c, 2.0)]);
        Assert.Equal("0.5*a+-1*b+2*c", combined.Name);
        var o = combined.Score(Batch);
        Assert.Equal(0.5f * 5 - 2f + 2f, o[0].Reward);
        Assert.Equal(0.5f * 15 - 2f + 2f, o[1].Reward);
        Assert.Equal(Math.Sqrt(0.15 * 0.15 + 0.4 * 0.4), o[0].Spread!.Value, 5);   // √Σ (w·s)²
        Assert.Equal("a: too short; c: odd", o[0].Note);
        Assert.Null(o[1].Note);
        Assert.Null(new WeightedReward([(c, 1.0)]).Score(Batch)[0].Spread);
        Assert.Throws<ArgumentException>(() => new WeightedReward([]));
        Assert.Throws<ArgumentException>(() => new WeightedReward([(a, double.NaN)]));
    }

    [Fact]
    public void Length_penalty_subtracts_c_times_length_in_characters_or_tokens()
    {
        var inner = new Fixed("rm", _ => new(1f, 0.2f, "n"));
        var chars = new LengthPenaltyReward(inner, 0.01).Score(Batch);
        Assert.Equal(1f - 0.05f, chars[0].Reward, 6);
        Assert.Equal(1f - 0.15f, chars[1].Reward, 6);
        Assert.Equal((0.2f, "n"), (chars[0].Spread!.Value, chars[0].Note));
        var tok = TrainingFixtures.Tokenizer;
        var tokens = new LengthPenaltyReward(inner, 0.1, tok);
        Assert.Equal(1f - 0.1f * tok.Encode("a longer answer").Length, tokens.Score(Batch)[1].Reward, 5);
        Assert.Equal("rm-0.1*len", tokens.Name);
    }

    [Fact]
    public void Length_penalty_at_the_labelers_bias_per_100_characters_recovers_the_gold_score()
    {
        var gold = new LexiconSentimentScorer();
        var labeler = new SimulatedLabeler(gold, new SimulatedLabelerConfig(LengthBias: 1.5), seed: 1);
        string[] completions = ["good", "a long and rather wordy but good answer", "bad"];
        var biased = labeler.BiasedScores("p", completions);
        var inner = new Fixed("biased", r => new((float)biased[Array.IndexOf(completions, r.Completion)]));
        var corrected = new LengthPenaltyReward(inner, 1.5 / 100).Score([.. completions.Select(c => new RewardRequest("p", c))]);
        for (int i = 0; i < completions.Length; i++)
            Assert.Equal(gold.Score("p", completions[i]), corrected[i].Reward, 4);
    }
}
