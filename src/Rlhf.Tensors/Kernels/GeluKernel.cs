using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// GPT-2 GELU (tanh approximation), vectorized. Uses the identity ½(1 + tanh u) = σ(2u) = 1/(1 + e^{−2u}), so
/// gelu(x) = x/(1 + e^{−2u}) with u = √(2/π)·(x + 0.044715·x³) — one <see cref="FastExp"/> per element and no
/// cancellation in 1 + tanh u for negative x. Scalar twin (the literal GPT-2 formula): <see cref="GeluReference"/>.
/// </summary>
internal static class GeluKernel
{
    private const float K0 = 0.7978845608028654f; // √(2/π)
    private const float K1 = 0.044715f;

    /// <summary>y = gelu(x). <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, bool use512 = false)
    {
        if (!FastExp.Has256) { GeluReference.Forward(x, y); return; }
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (use512)
        {
            var k0 = Vector512.Create(-2f * K0); var k1 = Vector512.Create(K1);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref px, (nuint)i);
                var minus2u = k0 * Vector512.FusedMultiplyAdd(k1 * v * v, v, v);
                (v / (Vector512<float>.One + FastExp.Exp(minus2u))).StoreUnsafe(ref py, (nuint)i);
            }
        }
        {
            var k0 = Vector256.Create(-2f * K0); var k1 = Vector256.Create(K1);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                var minus2u = k0 * Vector256.FusedMultiplyAdd(k1 * v * v, v, v);
                (v / (Vector256<float>.One + FastExp.Exp(minus2u))).StoreUnsafe(ref py, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = x[i];
            y[i] = v / (1f + MathF.Exp(-2f * K0 * (v + K1 * v * v * v)));
        }
    }

    /// <summary>
    /// dx += dy·gelu'(x), gelu'(x) = s + x·2s(1 − s)·√(2/π)(1 + 3·0.044715·x²) with s = σ(2u)
    /// (= ½(1 + tanh u) + ½x(1 − tanh²u)·u′ written with s).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool use512 = false)
    {
        if (!FastExp.Has256) { GeluReference.Backward(x, dy, dx); return; }
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pg = ref MemoryMarshal.GetReference(dy);
        ref float pd = ref MemoryMarshal.GetReference(dx);
        int n = x.Length, i = 0;
        if (use512)
        {
            var k0 = Vector512.Create(-2f * K0); var k1 = Vector512.Create(K1);
            var c0 = Vector512.Create(2f * K0); var c1 = Vector512.Create(6f * K0 * K1);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref px, (nuint)i);
                var v2 = v * v;
                var s = Vector512<float>.One / (Vector512<float>.One + FastExp.Exp(k0 * Vector512.FusedMultiplyAdd(k1 * v2, v, v)));
                var du2 = Vector512.FusedMultiplyAdd(c1, v2, c0); // 2u′
                var grad = Vector512.FusedMultiplyAdd(v * s * (Vector512<float>.One - s), du2, s);
                Vector512.FusedMultiplyAdd(grad, Vector512.LoadUnsafe(ref pg, (nuint)i), Vector512.LoadUnsafe(ref pd, (nuint)i))
                    .StoreUnsafe(ref pd, (nuint)i);
            }
        }
        {
            var k0 = Vector256.Create(-2f * K0); var k1 = Vector256.Create(K1);
            var c0 = Vector256.Create(2f * K0); var c1 = Vector256.Create(6f * K0 * K1);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                var v2 = v * v;
                var s = Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(k0 * Vector256.FusedMultiplyAdd(k1 * v2, v, v)));
                var du2 = Vector256.FusedMultiplyAdd(c1, v2, c0);
                var grad = Vector256.FusedMultiplyAdd(v * s * (Vector256<float>.One - s), du2, s);
                Vector256.FusedMultiplyAdd(grad, Vector256.LoadUnsafe(ref pg, (nuint)i), Vector256.LoadUnsafe(ref pd, (nuint)i))
                    .StoreUnsafe(ref pd, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = x[i];
            float s = 1f / (1f + MathF.Exp(-2f * K0 * (v + K1 * v * v * v)));
            dx[i] += dy[i] * (s + v * s * (1f - s) * (2f * K0 + 6f * K0 * K1 * v * v));
        }
    }
}
