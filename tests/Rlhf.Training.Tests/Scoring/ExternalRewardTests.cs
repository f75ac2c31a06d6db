using Rlhf.Training.Common;
using Rlhf.Training.Scoring;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Scoring;

/// <summary>The failure policy of <see cref="ExternalReward"/>: retries with doubling pauses, then NaN with a note (never 0), counted.</summary>
public class ExternalRewardTests
{
    /// <summary>Answers with the scripted replies in order; a null entry is a timeout.</summary>
    private sealed class ScriptedTransport(params string?[] replies) : IScoreTransport
    {
        private int _next;
        public int Calls => _next;
        public int Resets { get; private set; }
        public string Name => "fake";
        public string Exchange(string requestJson, TimeSpan timeout) =>
            replies[_next++] ?? throw new ExternalScorerException($"no reply within {timeout.TotalSeconds} s");
        public void Reset() => Resets++;
        public void Dispose() { }
    }

    private static readonly RewardRequest[] Two = [new("p", "a"), new("p", "b")];

    [Fact]
    public void A_good_reply_is_the_reward()
    {
        var reward = new ExternalReward(new ScriptedTransport("[0.5, -1]"));
        Assert.Equal([0.5f, -1f], reward.Score(Two).Select(o => o.Reward));
        Assert.Equal(0, reward.FailedBatches);
    }

    [Fact]
    public void Timeouts_and_garbage_are_retried_with_doubling_pauses()
    {
        var pauses = new List<TimeSpan>();
        var transport = new ScriptedTransport(null, "garbage", "[1, 2]");
        var reward = new ExternalReward(transport, new ExternalScorerPolicy(TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(0.5)), pauses.Add);
        Assert.Equal([1f, 2f], reward.Score(Two).Select(o => o.Reward));
        Assert.Equal([TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1)], pauses);
        Assert.Equal((0, 2, 2), (reward.FailedBatches, reward.FailedAttempts, transport.Resets));
    }

    [Fact]
    public void A_batch_failing_every_attempt_is_given_up_as_NaN_with_a_note_never_zero()
    {
        var transport = new ScriptedTransport(null, "[1]", "<html>");
        var reward = new ExternalReward(transport, new ExternalScorerPolicy(TimeSpan.FromSeconds(1), 2, TimeSpan.Zero), _ => { });
        var outcomes = reward.Score(Two);
        Assert.All(outcomes, o => Assert.True(float.IsNaN(o.Reward)));
        Assert.All(outcomes, o => Assert.Contains("batch given up after 3 attempts (the reply is not JSON", o.Note));
        Assert.Equal((1, 2, 3, 3), (reward.FailedBatches, reward.FailedSamples, reward.FailedAttempts, transport.Calls));
    }

    [Fact]
    public void A_non_finite_number_is_NaN_for_its_own_sample_only()
    {
        // JSON has no NaN literal, but a huge number overflows to +∞ on parsing
        var outcomes = new ExternalReward(new ScriptedTransport("[1e999, 3]")).Score(Two);
        Assert.True(float.IsNaN(outcomes[0].Reward));
        Assert.Equal(3f, outcomes[1].Reward);
    }

    [Fact]
    public void As_gold_a_missing_score_is_an_error_not_a_value()
    {
        using var gold = new ExternalGoldScorer(new ExternalReward(new ScriptedTransport("[2]", null), new ExternalScorerPolicy(TimeSpan.FromSeconds(1), 0, TimeSpan.Zero)));
        Assert.Equal(2, gold.Score("p", "a"));
        Assert.Contains("gave no usable score: no reply within 1 s", Assert.Throws<TrainingException>(() => gold.Score("p", "b")).Message);
    }
}
