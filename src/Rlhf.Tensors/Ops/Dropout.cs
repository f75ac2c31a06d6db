using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Inverted dropout: y = x·mask with mask = 1/(1−p) with probability 1−p, else 0, so E[y] = x and no rescaling
    /// is needed at evaluation. Returns <paramref name="x"/> itself when <paramref name="training"/> is false or
    /// p = 0. The mask is drawn from <paramref name="rng"/> (two 32-bit uniforms per 64-bit draw, in row-major
    /// element order), so a seed reproduces it exactly. Backward: dx += g·mask (the same mask).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">p outside [0, 1).</exception>
    public static Tensor Dropout(Tensor x, float p, Rng rng, bool training)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1)");
        if (!training || p == 0f) return x;

        var xc = x.Contiguous();
        int size = xc.Size;
        // keep element i when its 32-bit uniform u satisfies u ≥ p·2³², i.e. with probability 1 − p
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));
        float keepScale = 1f / (1f - p);
        var mask = GC.AllocateUninitializedArray<float>(size);
        for (int i = 0; i < size; i += 2)
        {
            ulong bits = rng.NextUInt64();
            mask[i] = (uint)bits >= threshold ? keepScale : 0f;
            if (i + 1 < size) mask[i + 1] = (uint)(bits >> 32) >= threshold ? keepScale : 0f;
        }
        var y = Tensor.Uninitialized(xc.ShapeArray());
        TensorPrimitives.Multiply(xc.Span, mask, y.Span);
        return Tensor.Record(y, "Dropout", [xc], g =>
        {
            var dx = xc.GradBuffer();
            TensorPrimitives.MultiplyAdd(g.Span, mask, dx, dx);
        });
    }
}
