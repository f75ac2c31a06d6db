namespace Rlhf.Models.Generation;

/// <summary>
/// Sampling settings (HF <c>generate</c> names). Temperature 0 means greedy. TopK 0 and TopP 1 disable those filters.
/// </summary>
public sealed record GenerationConfig(
    int MaxNewTokens = 64,
    float Temperature = 1f,
    int TopK = 0,
    float TopP = 1f,
    bool StopAtEndOfText = true)
{
    /// <summary>
    /// Sample only ids below this: the tokenizer's vocabulary, where the model's embedding is padded beyond it (Qwen2.5's
    /// 151,936 rows for 151,665 tokens, a tiny preset's 512): ids no tokenizer can decode are never drawn. Log-probs
    /// stay those of the full softmax, like the other filters'. 0 = every id.
    /// </summary>
    public int VocabularyLimit { get; init; }

    /// <summary>Throws on settings that cannot sample.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"GenerationConfig: MaxNewTokens must be ≥ 0, got {MaxNewTokens}");
        if (Temperature < 0 || float.IsNaN(Temperature)) throw new ArgumentException($"GenerationConfig: Temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"GenerationConfig: TopK must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"GenerationConfig: TopP must be in (0, 1], got {TopP}");
        if (VocabularyLimit < 0) throw new ArgumentException($"GenerationConfig: VocabularyLimit must be ≥ 0, got {VocabularyLimit}");
    }
}
