using Rlhf.Tensors.Autograd;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Fused causal multi-head self-attention from the GPT-2 c_attn projection: qkv (B, T, 3C) → (B, T, C).
    /// Columns [0, C) are q, [C, 2C) k, [2C, 3C) v; head h uses columns h·hs .. (h+1)·hs of each, hs = C / nHead.
    /// Per head: out_i = Σ_{j ≤ i, keyMask[b, j]} softmax_j(q_i·k_j/√hs)·v_j; heads concatenated along C.
    /// <para>
    /// <paramref name="keyMask"/> (optional, (B, T) flattened, true = real token, like HF's attention_mask = 1)
    /// removes padded keys. A query whose visible keys are all masked (e.g. a left-pad position) outputs zeros and
    /// gets zero gradient — no NaN; its value is meaningless and should be masked out of any loss.
    /// </para>
    /// <para>
    /// Forward keeps the attention probabilities (B, nHead, T, T) for backward (only when recording a graph);
    /// backward: dP = dOut·vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P))/√hs, dq = dS·k, dk = dSᵀ·q, dv = Pᵀ·dOut.
    /// See <see cref="AttentionKernel"/> (also <see cref="AttentionKernel.Decode"/> for KV-cache decoding).
    /// Not supported: dropout, non-causal attention, attention bias.
    /// </para>
    /// </summary>
    public static Tensor CausalSelfAttention(Tensor qkv, int nHead, bool[]? keyMask = null)
    {
        ArgumentNullException.ThrowIfNull(qkv);
        if (qkv.Rank != 3 || qkv.Shape[2] % 3 != 0)
            throw new TensorShapeException($"CausalSelfAttention: qkv must be (B, T, 3C), got {Tensor.ShapeString(qkv.Shape)}");
        int B = qkv.Shape[0], T = qkv.Shape[1], C = qkv.Shape[2] / 3;
        if (nHead <= 0 || C % nHead != 0)
            throw new TensorShapeException($"CausalSelfAttention: C = {C} (qkv {Tensor.ShapeString(qkv.Shape)}) is not divisible by nHead = {nHead}");
        if (keyMask is not null && keyMask.Length != B * T)
            throw new TensorShapeException($"CausalSelfAttention: key mask [{keyMask.Length}] does not match qkv {Tensor.ShapeString(qkv.Shape)} (expected B·T = {B * T})");

        var x = qkv.Contiguous();
        var mask = keyMask is null ? null : (bool[])keyMask.Clone();
        var y = Tensor.Uninitialized(B, T, C);
        bool keep = GradMode.IsEnabled && x.RequiresGrad;
        var probs = keep ? GC.AllocateUninitializedArray<float>(checked(B * nHead * T * T)) : null;
        AttentionKernel.Forward(x.Span, y.Span, probs, B, T, C, nHead, mask);
        return Tensor.Record(y, "CausalSelfAttention", [x], g =>
            AttentionKernel.Backward(x.Span, probs, g.Span, x.GradBuffer(), B, T, C, nHead));
    }

    /// <summary>
    /// <see cref="CausalSelfAttention(Tensor, int, bool[])"/> with a float key mask (B, T): a key is kept where the
    /// value is non-zero (HF attention_mask as floats).
    /// </summary>
    public static Tensor CausalSelfAttention(Tensor qkv, int nHead, float[] keyMask)
    {
        ArgumentNullException.ThrowIfNull(keyMask);
        var mask = new bool[keyMask.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = keyMask[i] != 0f;
        return CausalSelfAttention(qkv, nHead, mask);
    }
}
