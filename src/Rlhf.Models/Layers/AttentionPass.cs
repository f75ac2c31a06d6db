using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// What a block needs to know about the forward pass it runs in, so one block definition serves both passes:
/// the position ids of its rows, how attention reaches the keys and values of the sequence, and how a GPT-2
/// projection is applied. <see cref="FullAttention"/> attends over the whole sequence at once (training, scoring,
/// with autograd); <see cref="CachedAttention"/> appends the new positions' keys and values to a
/// <see cref="KvCache"/> and attends to everything cached (decoding).
/// </summary>
public abstract class AttentionPass(int[] positions)
{
    /// <summary>Position ids of the rows being computed (B·T, row-major).</summary>
    public int[] Positions { get; } = positions;

    /// <summary>
    /// Causal self-attention of layer <paramref name="layer"/>: qkv (B, T, (H + 2·KV)·hs) with columns
    /// [H query heads | KV key heads | KV value heads] → (B, T, H·hs), heads concatenated. Query head h reads
    /// key/value head h / (H/KV) (grouped-query attention; KV = H is ordinary multi-head attention).
    /// </summary>
    public abstract Tensor Attend(int layer, Tensor qkv, int nHead, int nKvHead);

    /// <summary>Applies a GPT-2 Conv1D projection (the cached pass may use a faster layout for few rows).</summary>
    public virtual Tensor Project(Linear layer, Tensor x) => layer.Forward(x);
}
