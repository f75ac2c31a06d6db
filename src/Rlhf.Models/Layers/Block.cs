using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// One GPT-2 transformer block (pre-LayerNorm):
/// x = x + c_proj(attn(c_attn(ln_1(x)))); x = x + mlp.c_proj(gelu(mlp.c_fc(ln_2(x)))).
/// Parameter keys follow HF GPT-2: <c>h.{i}.ln_1</c>, <c>h.{i}.attn.c_attn</c>, <c>h.{i}.attn.c_proj</c>,
/// <c>h.{i}.ln_2</c>, <c>h.{i}.mlp.c_fc</c>, <c>h.{i}.mlp.c_proj</c>.
/// </summary>
public sealed class Block : IDecoderBlock
{
    private readonly GptConfig _config;

    /// <summary>Layer index (selects this layer's slots in a KV cache).</summary>
    public int Index { get; }

    public LayerNorm Ln1 { get; }
    public Linear Attn { get; }
    public Linear AttnProj { get; }
    public LayerNorm Ln2 { get; }
    public Linear Fc { get; }
    public Linear MlpProj { get; }

    /// <summary>GPT-2 init: weights N(0, 0.02²); residual projections N(0, (0.02/√(2L))²) (GPT-2 paper, nanoGPT).</summary>
    public Block(GptConfig config, int index, Rng rng)
    {
        _config = config;
        Index = index;
        int C = config.NEmbd;
        string p = $"h.{index}";
        float std = 0.02f, residualStd = 0.02f / MathF.Sqrt(2 * config.NLayer);
        Ln1 = new LayerNorm($"{p}.ln_1", C, config.LayerNormEpsilon);
        Attn = new Linear($"{p}.attn.c_attn", C, 3 * C, rng, std);
        AttnProj = new Linear($"{p}.attn.c_proj", C, C, rng, residualStd);
        Ln2 = new LayerNorm($"{p}.ln_2", C, config.LayerNormEpsilon);
        Fc = new Linear($"{p}.mlp.c_fc", C, 4 * C, rng, std);
        MlpProj = new Linear($"{p}.mlp.c_proj", 4 * C, C, rng, residualStd);
    }

    /// <summary>All parameters in checkpoint order.</summary>
    public IEnumerable<Tensor> Parameters() =>
    [
        Ln1.Weight, Ln1.Bias, Attn.Weight, Attn.Bias, AttnProj.Weight, AttnProj.Bias,
        Ln2.Weight, Ln2.Bias, Fc.Weight, Fc.Bias, MlpProj.Weight, MlpProj.Bias,
    ];

    /// <summary>Forward-only from now on: the four projections stored as <paramref name="dtype"/>, LayerNorms float32 without gradients.</summary>
    public void FreezeTo(Dtype dtype)
    {
        foreach (var layer in new[] { Attn, AttnProj, Fc, MlpProj }) layer.FreezeTo(dtype);
        Frozen.StopGradients([Ln1.Weight, Ln1.Bias, Ln2.Weight, Ln2.Bias]);
    }

    /// <summary>The A and B tensors of the LoRA adapters on this block's projections (none without adapters).</summary>
    public IEnumerable<Tensor> AdapterParameters() =>
        new[] { Attn.Adapter, AttnProj.Adapter, Fc.Adapter, MlpProj.Adapter }.OfType<Lora.LoraAdapter>().SelectMany(a => new[] { a.A, a.B });

    /// <summary>(B, T, C) → (B, T, C) over the whole sequence; <paramref name="keyMask"/> (B·T, true = real token) or null.</summary>
    public Tensor Forward(Tensor x, bool[]? keyMask) => Forward(x, new FullAttention(keyMask, x.Shape[0], x.Shape[1]));

    /// <summary>(B, T, C) → (B, T, C) in <paramref name="pass"/> (whole sequence, or new positions against a KV cache).</summary>
    public Tensor Forward(Tensor x, AttentionPass pass)
    {
        var qkv = pass.Project(Attn, Ln1.Forward(x));                          // (B, T, 3C)
        var y = pass.Attend(Index, qkv, _config.NHead, _config.NHead);        // (B, T, C)
        x = x + pass.Project(AttnProj, y);                                     // (B, T, C)
        var h = Ops.Gelu(pass.Project(Fc, Ln2.Forward(x)));                    // (B, T, 4C)
        return x + pass.Project(MlpProj, h);                                   // (B, T, C)
    }
}
