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

    /// <summary>Per-head width d/n_head.</summary>
    [JsonIgnore] public int HeadSize => NEmbd / NHead;

    /// <summary>Throws with a clear message when the numbers cannot form a model.</summary>
    public void Validate()
    {
        if (NLayer <= 0 || NHead <= 0 || NEmbd <= 0 || NPositions <= 0 || VocabSize <= 0)
            throw new ArgumentException($"GptConfig: all sizes must be positive, got {this}");
        if (NEmbd % NHead != 0)
            throw new ArgumentException($"GptConfig: n_embd {NEmbd} is not divisible by n_head {NHead}");
        // every tensor must fit one float[]: checked in 64 bits before anything is allocated
        (string Name, long Elements)[] largest =
        [
            ("vocab_size × n_embd (wte)", (long)VocabSize * NEmbd),
            ("n_positions × n_embd (wpe)", (long)NPositions * NEmbd),
            ("n_embd × 4·n_embd (mlp.c_fc)", 4L * NEmbd * NEmbd),
        ];
        foreach (var (name, elements) in largest)
            if (elements > int.MaxValue)
                throw new ArgumentException($"GptConfig: {name} = {elements:N0} elements exceeds the {int.MaxValue:N0} one tensor can hold");
    }
}
