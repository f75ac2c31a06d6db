using System.Text.Json.Serialization;

namespace Rlhf.Models;

/// <summary>
/// GPT-2 architecture hyperparameters (names follow HF's <c>config.json</c> for GPT-2 so checkpoints map 1:1).
/// Pre-LayerNorm blocks, fused qkv projection, GELU (tanh) MLP of width 4·d, learned positions, final LayerNorm,
/// LM head tied to the token embedding. Not supported: dropout at train time (0 throughout), cross-attention,
/// scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn.
/// </summary>
public sealed record GptConfig(
    [property: JsonPropertyName("n_layer")] int NLayer,
    [property: JsonPropertyName("n_head")] int NHead,
    [property: JsonPropertyName("n_embd")] int NEmbd,
    [property: JsonPropertyName("n_positions")] int NPositions,
    [property: JsonPropertyName("vocab_size")] int VocabSize,
    [property: JsonPropertyName("layer_norm_epsilon")] float LayerNormEpsilon = 1e-5f)
{
    /// <summary>Benchmark config A: 6 layers, 6 heads, d=384, T=256, vocab 8192 (≈13.9M parameters).</summary>
    public static GptConfig A => new(6, 6, 384, 256, 8192);

    /// <summary>Benchmark config B: 4 layers, 4 heads, d=256, T=128, vocab 4096 (≈4.2M parameters).</summary>
    public static GptConfig B => new(4, 4, 256, 128, 4096);

    /// <summary>A tiny model for tests.</summary>
    public static GptConfig Tiny(int vocab = 64) => new(2, 2, 16, 32, vocab);

    /// <summary>
    /// <c>activation_function</c> values of an HF config.json that name the GELU this model computes,
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (HF's default for GPT-2 is <c>gelu_new</c>).
    /// </summary>
    public static readonly IReadOnlyList<string> Activations = ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"];

    /// <summary>Per-head width d/n_head.</summary>
    [JsonIgnore] public int HeadSize => NEmbd / NHead;

    /// <summary>Throws with a clear message when the numbers cannot form a model.</summary>
    public void Validate()
    {
        if (NLayer <= 0 || NHead <= 0 || NEmbd <= 0 || NPositions <= 0 || VocabSize <= 0)
            throw new ArgumentException($"GptConfig: all sizes must be positive, got {this}");
        if (NEmbd % NHead != 0)
            throw new ArgumentException($"GptConfig: n_embd {NEmbd} is not divisible by n_head {NHead}");
        // sizes are checked in 64-bit before anything is allocated: one tensor must fit in an array, all the
        // weights in this machine's memory
        long d = NEmbd;
        foreach (var (what, elements) in new[] { ("vocab_size × n_embd (token embedding)", VocabSize * d), ("n_positions × n_embd (position embedding)", NPositions * d), ("n_embd × 4·n_embd (MLP weight)", 4 * d * d) })
            if (elements > Array.MaxLength)
                throw new ArgumentException($"GptConfig: {what} = {elements:N0} elements, more than one tensor can hold ({Array.MaxLength:N0}); n_layer {NLayer}, n_embd {NEmbd}, n_positions {NPositions}, vocab_size {VocabSize}");
        long bytes = WeightCount * sizeof(float);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new ArgumentException($"GptConfig: the weights alone would take {bytes / (1024.0 * 1024 * 1024):0.#} GiB ({WeightCount:N0} parameters), more than the {available / (1024.0 * 1024 * 1024):0.#} GiB of memory available; n_layer {NLayer}, n_embd {NEmbd}, n_positions {NPositions}, vocab_size {VocabSize}");
    }

    /// <summary>
    /// Number of weights these sizes imply, in 64-bit: embeddings V·d + T·d, per layer 12·d² + 13·d (qkv, projection,
    /// MLP and two LayerNorms, with biases), final LayerNorm 2·d; the LM head is tied.
    /// </summary>
    [JsonIgnore] public long WeightCount
    {
        get
        {
            long d = NEmbd;
            return (VocabSize + (long)NPositions) * d + NLayer * (12 * d * d + 13 * d) + 2 * d;
        }
    }
}
