using Rlhf.Training.Labeling;

namespace Rlhf.Training.Scoring;

/// <summary>An <see cref="IGoldScorer"/> (the built-in task's true preference) used directly as the RL reward.</summary>
public sealed class GoldScorerReward(IGoldScorer scorer) : IRewardFunction
{
    /// <inheritdoc/>
    public string Name => scorer.Name;

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var outcomes = new RewardOutcome[batch.Count];
        for (int i = 0; i < batch.Count; i++) outcomes[i] = new((float)scorer.Score(batch[i].Prompt, batch[i].Completion));
        return outcomes;
    }
}
