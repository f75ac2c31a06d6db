using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// The whole-sequence pass: causal attention over all T positions with autograd, padded keys masked by
/// <see cref="KeyMask"/>. Grouped K/V heads are repeated to the query heads before the fused attention op
/// (HF <c>repeat_kv</c>); the repeat is a broadcast whose backward sums each group's gradients.
/// </summary>
public sealed class FullAttention(bool[]? keyMask, int batch, int time) : AttentionPass(PositionIds(keyMask, batch, time))
{
    /// <summary>(B·T, true = real token) or null = no padding.</summary>
    public bool[]? KeyMask { get; } = keyMask;

    /// <inheritdoc />
    public override Tensor Attend(int layer, Tensor qkv, int nHead, int nKvHead)
    {
        if (nKvHead == nHead) return Ops.CausalSelfAttention(qkv, nHead, KeyMask);
        int B = qkv.Shape[0], T = qkv.Shape[1], hs = qkv.Shape[2] / (nHead + 2 * nKvHead);
        var parts = Ops.Split(qkv, [nHead * hs, nKvHead * hs, nKvHead * hs], 2);   // q (B, T, H·hs), k, v (B, T, KV·hs)
        var k = RepeatHeads(parts[1], B, T, nHead, nKvHead, hs);                     // (B, T, H·hs)
        var v = RepeatHeads(parts[2], B, T, nHead, nKvHead, hs);
        return Ops.CausalSelfAttention(Ops.Concat([parts[0], k, v], 2), nHead, KeyMask);
    }

    /// <summary>(B, T, KV·hs) → (B, T, H·hs): each of the KV heads repeated H/KV times, in place of its group.</summary>
    private static Tensor RepeatHeads(Tensor x, int B, int T, int nHead, int nKvHead, int hs)
    {
        var grouped = Ops.Reshape(x, B, T, nKvHead, 1, hs);
        return Ops.Reshape(Ops.BroadcastTo(grouped, B, T, nKvHead, nHead / nKvHead, hs), B, T, nHead * hs);
    }

    /// <summary>
    /// Position ids (B·T): 0..T−1 without a mask; with one, cumsum(mask) − 1 clamped at 0 per row, so a left-padded
    /// prompt's first real token gets position 0 (HF: position_ids = cumsum(attention_mask) − 1).
    /// </summary>
    public static int[] PositionIds(bool[]? attentionMask, int batch, int time)
    {
        var positions = new int[batch * time];
        for (int b = 0; b < batch; b++)
        {
            int count = 0;
            for (int t = 0; t < time; t++)
            {
                int i = b * time + t;
                if (attentionMask is null) positions[i] = t;
                else
                {
                    if (attentionMask[i]) count++;
                    positions[i] = Math.Max(0, count - 1);
                }
            }
        }
        return positions;
    }
}
