using Rlhf.Training.Rl;

namespace Rlhf.Training.Scoring;

/// <summary>What a reward function judges: the prompt, the response text, and the reference answer when the task has one.</summary>
public sealed record RewardRequest(string Prompt, string Completion, string? Answer = null)
{
    /// <summary>The prompt's conversation where the data gave one (a chat-format reward model renders it); null: <see cref="Prompt"/> is one user message.</summary>
    public IReadOnlyList<Rlhf.Models.Tokenization.ChatMessage>? Messages { get; init; }

    /// <summary>The request for a rollout sample.</summary>
    public static RewardRequest Of(RolloutSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return new(sample.Prompt.Prompt, sample.CompletionText, sample.Prompt.Answer) { Messages = sample.Prompt.Messages };
    }
}
