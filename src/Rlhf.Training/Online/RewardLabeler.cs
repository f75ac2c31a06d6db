using Rlhf.Training.Labeling;
using Rlhf.Training.Rl;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Online;

/// <summary>
/// A reward function as labeler (RLAIF-style: the reward model, or an ensemble, stands in for humans): ranks
/// completions by score, best first; equal scores keep index order (stable), so the ranking is deterministic.
/// </summary>
public sealed class RewardLabeler(IRewardFunction reward) : ILabeler
{
    /// <summary>The scoring function.</summary>
    public IRewardFunction Reward { get; } = reward;

    /// <inheritdoc/>
    public IReadOnlyList<int> Rank(string prompt, IReadOnlyList<string> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var outcomes = Reward.Score([.. completions.Select(c => new RewardRequest(prompt, c))]);
        return [.. Enumerable.Range(0, completions.Count).OrderByDescending(i => outcomes[i].Reward)]; // OrderBy is stable
    }
}
