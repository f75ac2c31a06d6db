namespace Rlhf.Models;

/// <summary>
/// Named Llama-family architectures for <c>rlhf model init</c>: the shapes of real checkpoints (from their
/// published config.json) for random-weight tests, benchmarks and pretraining, and a tiny one per family.
/// </summary>
public static class LlamaPresets
{
    /// <summary>Preset names.</summary>
    public static IReadOnlyList<string> Names => ["smollm2-135m", "qwen2.5-0.5b", "tiny"];

    /// <summary>
    /// The config of preset <paramref name="name"/>; <paramref name="family"/> (llama, qwen2, qwen3) picks the family
    /// of <c>tiny</c> and must match the family of a real model's preset (or be null).
    /// </summary>
    public static LlamaConfig Get(string name, string? family = null)
    {
        var config = name switch
        {
            // HuggingFaceTB/SmolLM2-135M
            "smollm2-135m" => LlamaConfig.ForFamily("llama", hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKvHeads: 3,
                vocabSize: 49152, maxPositions: 8192, ropeTheta: 100000, tieWordEmbeddings: true, rmsNormEps: 1e-5f, bosTokenId: 0, eosTokenId: 0),
            // Qwen/Qwen2.5-0.5B
            "qwen2.5-0.5b" => LlamaConfig.ForFamily("qwen2", hiddenSize: 896, intermediateSize: 4864, numLayers: 24, numHeads: 14, numKvHeads: 2,
                vocabSize: 151936, maxPositions: 32768, ropeTheta: 1_000_000, tieWordEmbeddings: true, rmsNormEps: 1e-6f,
                bosTokenId: 151643, eosTokenId: 151643),
            "tiny" => LlamaConfig.ForFamily(family ?? "llama", hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2,
                vocabSize: 512, maxPositions: 256, ropeTheta: 10000, tieWordEmbeddings: true, rmsNormEps: 1e-6f),
            _ => throw new ArgumentException($"unknown preset \"{name}\"; known: {string.Join(", ", Names)}"),
        };
        if (family is not null && !LlamaConfig.ModelTypes.Contains(family))
            throw new ArgumentException($"unknown family \"{family}\"; known: {string.Join(", ", LlamaConfig.ModelTypes)}");
        if (family is not null && family != config.ModelType)
            throw new ArgumentException($"preset \"{name}\" is a {config.ModelType} model, not {family}");
        return config;
    }
}
