namespace Rlhf.Training.Scoring;

/// <summary>
/// Anything that scores responses for RL: a reward model or an ensemble, several reward models combined, a gold
/// scorer, an answer checker, an LLM judge. Scores a whole batch at once (reward models batch their forward pass).
/// Implementations must not throw on a bad sample: they return reward 0 (or their documented floor) with a
/// <see cref="RewardOutcome.Note"/>; they throw only when they cannot work at all (model missing, endpoint misconfigured).
/// </summary>
public interface IRewardFunction
{
    /// <summary>Short name for logs and metrics, e.g. <c>rm:runs/rm</c> or <c>boxed-exact</c>.</summary>
    string Name { get; }

    /// <summary>One outcome per request, in order.</summary>
    IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch);
}
