using Rlhf.Data.Prompts;

namespace Rlhf.Training.Rl;

/// <summary>
/// One sampled response: the prompt it answers (text, reference answer when known, template ids), the generated ids
/// (ending in end-of-text when the model stopped), the sampler's per-token log-probs log π_old(a_t|s_t) (the
/// temperature-scaled distribution, as the trainer recomputes it), the decoded response text and whether it stopped
/// at end-of-text. <see cref="Group"/> is the prompt's index: samples of one prompt share it (GRPO/RLOO groups,
/// best-of-N).
/// </summary>
public sealed record RolloutSample(
    int Group,
    RlPrompt Prompt,
    int[] PromptIds,
    int[] CompletionIds,
    float[] OldLogProbs,
    string CompletionText,
    bool Finished);
