using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Optim;

/// <summary>
/// Vector256 AdamW update over one parameter's spans (p, g, m, v of equal length), the tail and non-accelerated
/// CPUs go through <see cref="AdamWReference"/>. No FMA and the same operation order as the reference: every lane
/// rounds exactly like the scalar code, so results are bit-identical to <see cref="AdamWReference"/>.
/// The loop is memory bound (7 floats of traffic per element), so plain mul/add costs nothing measurable.
/// </summary>
internal static class AdamWKernel
{
    public static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamWScalars s)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && p.Length >= Vector256<float>.Count)
        {
            ref float rp = ref MemoryMarshal.GetReference(p);
            ref float rg = ref MemoryMarshal.GetReference(g);
            ref float rm = ref MemoryMarshal.GetReference(m);
            ref float rv = ref MemoryMarshal.GetReference(v);
            var decay = Vector256.Create(s.Decay);
            var oneMinusB1 = Vector256.Create(s.OneMinusBeta1);
            var b2 = Vector256.Create(s.Beta2);
            var oneMinusB2 = Vector256.Create(s.OneMinusBeta2);
            var bc2Sqrt = Vector256.Create(s.Bc2Sqrt);
            var eps = Vector256.Create(s.Eps);
            var negStep = Vector256.Create(s.NegStepSize);
            for (; i <= p.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint at = (nuint)i;
                var gi = Vector256.LoadUnsafe(ref rg, at);
                var mi = Vector256.LoadUnsafe(ref rm, at);
                var vi = Vector256.LoadUnsafe(ref rv, at);
                var pi = Vector256.LoadUnsafe(ref rp, at) * decay;
                mi += (gi - mi) * oneMinusB1;
                vi = vi * b2 + oneMinusB2 * gi * gi;
                var denom = Vector256.Sqrt(vi) / bc2Sqrt + eps;
                pi += negStep * mi / denom;
                pi.StoreUnsafe(ref rp, at);
                mi.StoreUnsafe(ref rm, at);
                vi.StoreUnsafe(ref rv, at);
            }
        }
        if (i < p.Length) AdamWReference.Update(p[i..], g[i..], m[i..], v[i..], s);
    }
}
