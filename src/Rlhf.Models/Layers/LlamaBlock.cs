using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// One Llama-family decoder layer (HF <c>LlamaDecoderLayer</c>; Qwen2 and Qwen3 differ only in flags):
/// <code>
/// h = input_layernorm(x)                                   RMSNorm
/// q, k, v = q_proj(h), k_proj(h), v_proj(h)                H, KV, KV heads of width hs (+ bias in Qwen2)
/// q, k = q_norm(q), k_norm(k)                              per-head RMSNorm (Qwen3 only)
/// q, k = rope(q), rope(k)                                  rotary positions
/// x = x + o_proj(attention(q, k, v))                       causal, grouped-query
/// x = x + down_proj(silu(gate_proj(m)) · up_proj(m))       m = post_attention_layernorm(x) (SwiGLU)
/// </code>
/// Parameter keys follow HF: <c>model.layers.{i}.input_layernorm</c>, <c>.self_attn.{q,k,v,o}_proj</c>,
/// <c>.self_attn.{q,k}_norm</c>, <c>.post_attention_layernorm</c>, <c>.mlp.{gate,up,down}_proj</c>.
/// </summary>
public sealed class LlamaBlock : IDecoderBlock
{
    private readonly LlamaConfig _config;
    private readonly RotaryEmbedding _rope;

    /// <summary>Layer index (selects this layer's slots in a KV cache).</summary>
    public int Index { get; }

    public RmsNorm InputNorm { get; }
    public Dense QProj { get; }
    public Dense KProj { get; }
    public Dense VProj { get; }
    public RmsNorm? QNorm { get; }
    public RmsNorm? KNorm { get; }
    public Dense OProj { get; }
    public RmsNorm PostAttentionNorm { get; }
    public Dense GateProj { get; }
    public Dense UpProj { get; }
    public Dense DownProj { get; }

    /// <summary>Init as HF's <c>_init_weights</c>: projections N(0, 0.02²), biases 0, norms 1.</summary>
    public LlamaBlock(LlamaConfig config, int index, RotaryEmbedding rope, Rng rng)
    {
        _config = config;
        _rope = rope;
        Index = index;
        int C = config.HiddenSize, q = config.QueryWidth, kv = config.KvWidth, I = config.IntermediateSize;
        float eps = config.RmsNormEps, std = 0.02f;
        string p = $"model.layers.{index}";
        InputNorm = new RmsNorm($"{p}.input_layernorm", C, eps);
        QProj = new Dense($"{p}.self_attn.q_proj", C, q, config.QkvBias, rng, std);
        KProj = new Dense($"{p}.self_attn.k_proj", C, kv, config.QkvBias, rng, std);
        VProj = new Dense($"{p}.self_attn.v_proj", C, kv, config.QkvBias, rng, std);
        if (config.QkNorm)
        {
            QNorm = new RmsNorm($"{p}.self_attn.q_norm", config.HeadDim, eps);
            KNorm = new RmsNorm($"{p}.self_attn.k_norm", config.HeadDim, eps);
        }
        OProj = new Dense($"{p}.self_attn.o_proj", q, C, config.OutputBias, rng, std);
        PostAttentionNorm = new RmsNorm($"{p}.post_attention_layernorm", C, eps);
        GateProj = new Dense($"{p}.mlp.gate_proj", C, I, false, rng, std);
        UpProj = new Dense($"{p}.mlp.up_proj", C, I, false, rng, std);
        DownProj = new Dense($"{p}.mlp.down_proj", I, C, false, rng, std);
    }

    /// <summary>All parameters in checkpoint order.</summary>
    public IEnumerable<Tensor> Parameters() =>
    [
        InputNorm.Weight, .. QProj.Parameters(), .. KProj.Parameters(), .. VProj.Parameters(),
        .. QNorm is null ? [] : new[] { QNorm.Weight, KNorm!.Weight },
        .. OProj.Parameters(), PostAttentionNorm.Weight,
        .. GateProj.Parameters(), .. UpProj.Parameters(), .. DownProj.Parameters(),
    ];

    /// <summary>The A and B tensors of the LoRA adapters on this block's projections (none without adapters).</summary>
    public IEnumerable<Tensor> AdapterParameters() =>
        new[] { QProj.Adapter, KProj.Adapter, VProj.Adapter, OProj.Adapter, GateProj.Adapter, UpProj.Adapter, DownProj.Adapter }
            .OfType<Lora.LoraAdapter>().SelectMany(a => new[] { a.A, a.B });

    /// <summary>Forward-only from now on: the seven projections stored as <paramref name="dtype"/>, norms float32 without gradients.</summary>
    public void FreezeTo(Dtype dtype)
    {
        foreach (var layer in new[] { QProj, KProj, VProj, OProj, GateProj, UpProj, DownProj }) layer.FreezeTo(dtype);
        Frozen.StopGradients([InputNorm.Weight, PostAttentionNorm.Weight, .. QNorm is null ? [] : new[] { QNorm.Weight, KNorm!.Weight }]);
    }

    /// <summary>(B, T, C) → (B, T, C) in <paramref name="pass"/> (whole sequence, or new positions against a KV cache).</summary>
    public Tensor Forward(Tensor x, AttentionPass pass)
    {
        int H = _config.NumHeads, KV = _config.NumKvHeads;
        var h = InputNorm.Forward(x);                                                    // (B, T, C)
        var q = HeadNorm(QNorm, QProj.Forward(h));                                       // (B, T, H·hs)
        var k = HeadNorm(KNorm, KProj.Forward(h));                                       // (B, T, KV·hs)
        var v = VProj.Forward(h);                                                        // (B, T, KV·hs)
        q = _rope.Apply(q, pass.Positions);
        k = _rope.Apply(k, pass.Positions);
        var y = pass.Attend(Index, Ops.Concat([q, k, v], 2), H, KV);                   // (B, T, H·hs)
        x = x + OProj.Forward(y);                                                        // (B, T, C)
        var m = PostAttentionNorm.Forward(x);
        return x + DownProj.Forward(Ops.Silu(GateProj.Forward(m)) * UpProj.Forward(m)); // (B, T, C)
    }

    /// <summary>Qwen3's per-head RMSNorm over each head's hs values (identity when <paramref name="norm"/> is null).</summary>
    private Tensor HeadNorm(RmsNorm? norm, Tensor x)
    {
        if (norm is null) return x;
        int B = x.Shape[0], T = x.Shape[1], width = x.Shape[2], hs = _config.HeadDim;
        return Ops.Reshape(norm.Forward(Ops.Reshape(x, B, T, width / hs, hs)), B, T, width);
    }
}
