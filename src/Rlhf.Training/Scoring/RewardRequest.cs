using Rlhf.Training.Rl;

namespace Rlhf.Training.Scoring;

/// <summary>What a reward function judges: the prompt, the response text, and the reference answer when the task has one.</summary>
public sealed record RewardRequest(string Prompt, string Completion, string? Answer = null)
{
    /// <summary>The request for a rollout sample.</summary>
    public static RewardRequest Of(RolloutSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return new(sample.Prompt.Prompt, sample.CompletionText, sample.Prompt.Answer);
    }
}
