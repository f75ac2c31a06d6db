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
    /// <summary>Throws on settings that cannot sample.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"GenerationConfig: MaxNewTokens must be ≥ 0, got {MaxNewTokens}");
        if (Temperature < 0 || float.IsNaN(Temperature)) throw new ArgumentException($"GenerationConfig: Temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"GenerationConfig: TopK must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"GenerationConfig: TopP must be in (0, 1], got {TopP}");
    }
}
