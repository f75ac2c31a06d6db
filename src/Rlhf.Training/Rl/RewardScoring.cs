using Rlhf.Training.Scoring;

namespace Rlhf.Training.Rl;

/// <summary>
/// The one policy for reward failures during RL (PPO and GRPO alike): a reward function that throws, or returns the
/// wrong number of outcomes, never ends the run — every sample of the batch gets reward NaN with the reason as its
/// note, and the trainer drops samples whose reward is not finite (counted and logged), exactly as it drops a sample
/// whose own reward is NaN.
/// </summary>
public static class RewardScoring
{
    /// <summary>
    /// Scores <paramref name="samples"/> without ever throwing (except out of memory): on failure every outcome is NaN
    /// and <paramref name="failure"/> says why; otherwise <paramref name="failure"/> is null.
    /// </summary>
    public static RewardOutcome[] ScoreOrSkip(IRewardFunction reward, IReadOnlyList<RolloutSample> samples, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentNullException.ThrowIfNull(samples);
        failure = null;
        try
        {
            var outcomes = reward.Score(samples.Select(RewardRequest.Of).ToList());
            if (outcomes.Count == samples.Count) return [.. outcomes];
            failure = $"reward {reward.Name} returned {outcomes.Count} outcomes for {samples.Count} samples";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = $"reward {reward.Name} failed: {e.GetType().Name}: {e.Message}";
        }
        string note = failure;
        return [.. samples.Select(_ => new RewardOutcome(float.NaN, null, note))];
    }
}
