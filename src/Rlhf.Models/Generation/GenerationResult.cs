namespace Rlhf.Models.Generation;

/// <summary>
/// One generated sequence: the prompt ids, the completion ids (ending with end-of-text when it stopped there), and
/// per completion token log π(token | prefix) under the temperature-scaled model distribution (before top-k/top-p
/// filtering — the quantity an RL trainer recomputes with a forward pass).
/// </summary>
public sealed record GenerationResult(int[] Prompt, int[] Completion, float[] LogProbs, bool Finished);
