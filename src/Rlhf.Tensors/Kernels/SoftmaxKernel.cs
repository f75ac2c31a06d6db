using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Row kernels for softmax-family ops (softmax, log-softmax, cross-entropy, log-prob gathering, entropy, attention):
/// a handful of fused "exp of a shifted row" passes, vectorized with Vector512 (where the hardware has it) or
/// Vector256 using <see cref="FastExp"/>, plus scalar tails. Every routine has a readable scalar twin in
/// <see cref="SoftmaxReference"/> (same names and contracts; also the fallback without SIMD hardware).
/// <para>
/// Numerical stability comes from the callers: they pass shift = row max (or the log-sum-exp), so every exponent
/// is ≤ 0 and no term overflows. Reductions accumulate in float in a fixed order, so results are deterministic.
/// </para>
/// </summary>
internal static class SoftmaxKernel
{
    /// <summary>max_j x[j]; the row must not be empty. NaN propagates.</summary>
    public static float Max(ReadOnlySpan<float> x) => TensorPrimitives.Max(x);

    /// <summary>Σ_j exp(scale·x[j] − shift).</summary>
    public static float ExpSum(ReadOnlySpan<float> x, float scale, float shift, bool use512 = false)
    {
        if (!FastExp.Has256) return SoftmaxReference.ExpSum(x, scale, shift);
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float sum = 0f;
        if (use512)
        {
            var acc = Vector512<float>.Zero;
            var s = Vector512.Create(scale); var b = Vector512.Create(-shift);
            for (; i <= n - 16; i += 16)
                acc += FastExp.Exp(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), s, b));
            sum = Vector512.Sum(acc);
        }
        {
            var acc = Vector256<float>.Zero;
            var s = Vector256.Create(scale); var b = Vector256.Create(-shift);
            for (; i <= n - 8; i += 8)
                acc += FastExp.Exp(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), s, b));
            sum += Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += MathF.Exp(scale * x[i] - shift);
        return sum;
    }

    /// <summary>y[j] = exp(scale·x[j] − shift); returns Σ_j y[j]. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    public static float ExpStore(ReadOnlySpan<float> x, float scale, float shift, Span<float> y, bool use512 = false)
    {
        if (!FastExp.Has256) return SoftmaxReference.ExpStore(x, scale, shift, y);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        float sum = 0f;
        if (use512)
        {
            var acc = Vector512<float>.Zero;
            var s = Vector512.Create(scale); var b = Vector512.Create(-shift);
            for (; i <= n - 16; i += 16)
            {
                var e = FastExp.Exp(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), s, b));
                e.StoreUnsafe(ref py, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        {
            var acc = Vector256<float>.Zero;
            var s = Vector256.Create(scale); var b = Vector256.Create(-shift);
            for (; i <= n - 8; i += 8)
            {
                var e = FastExp.Exp(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), s, b));
                e.StoreUnsafe(ref py, (nuint)i);
                acc += e;
            }
            sum += Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(scale * x[i] - shift);
            y[i] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>dst[j] += alpha·exp(x[j] − shift) (the softmax term of a log-softmax / cross-entropy backward).</summary>
    public static void ExpAxpy(ReadOnlySpan<float> x, float shift, float alpha, Span<float> dst, bool use512 = false)
    {
        if (!FastExp.Has256) { SoftmaxReference.ExpAxpy(x, shift, alpha, dst); return; }
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(dst);
        int n = x.Length, i = 0;
        if (use512)
        {
            var a = Vector512.Create(alpha); var b = Vector512.Create(shift);
            for (; i <= n - 16; i += 16)
            {
                var e = FastExp.Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - b);
                Vector512.FusedMultiplyAdd(e, a, Vector512.LoadUnsafe(ref pd, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        {
            var a = Vector256.Create(alpha); var b = Vector256.Create(shift);
            for (; i <= n - 8; i += 8)
            {
                var e = FastExp.Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - b);
                Vector256.FusedMultiplyAdd(e, a, Vector256.LoadUnsafe(ref pd, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        for (; i < n; i++) dst[i] += alpha * MathF.Exp(x[i] - shift);
    }

    /// <summary>
    /// y[j] = alpha·exp(x[j] − shift); <paramref name="y"/> may alias <paramref name="x"/> (the fused LM head turns
    /// its logits into their gradient in place). Same bits as <see cref="ExpAxpy"/> onto a zeroed row.
    /// </summary>
    public static void ExpScale(ReadOnlySpan<float> x, float shift, float alpha, Span<float> y, bool use512 = false)
    {
        if (!FastExp.Has256) { SoftmaxReference.ExpScale(x, shift, alpha, y); return; }
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (use512)
        {
            var a = Vector512.Create(alpha); var b = Vector512.Create(shift);
            for (; i <= n - 16; i += 16)
                (FastExp.Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - b) * a).StoreUnsafe(ref py, (nuint)i);
        }
        {
            var a = Vector256.Create(alpha); var b = Vector256.Create(shift);
            for (; i <= n - 8; i += 8)
                (FastExp.Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - b) * a).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) y[i] = alpha * MathF.Exp(x[i] - shift);
    }

    /// <summary>Returns (Σ_j e_j, Σ_j e_j·x[j]) with e_j = exp(x[j] − shift) (entropy forward: E_p[x] = dot/sum).</summary>
    public static (float Sum, float Dot) ExpSumDot(ReadOnlySpan<float> x, float shift, bool use512 = false)
    {
        if (!FastExp.Has256) return SoftmaxReference.ExpSumDot(x, shift);
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float sum = 0f, dot = 0f;
        if (use512)
        {
            var accS = Vector512<float>.Zero; var accD = Vector512<float>.Zero;
            var b = Vector512.Create(shift);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref px, (nuint)i);
                var e = FastExp.Exp(v - b);
                accS += e;
                accD = Vector512.FusedMultiplyAdd(e, v, accD);
            }
            sum = Vector512.Sum(accS); dot = Vector512.Sum(accD);
        }
        {
            var accS = Vector256<float>.Zero; var accD = Vector256<float>.Zero;
            var b = Vector256.Create(shift);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                var e = FastExp.Exp(v - b);
                accS += e;
                accD = Vector256.FusedMultiplyAdd(e, v, accD);
            }
            sum += Vector256.Sum(accS); dot += Vector256.Sum(accD);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            sum += e;
            dot += e * x[i];
        }
        return (sum, dot);
    }

    /// <summary>dst[j] += alpha·exp(x[j] − shift)·(x[j] − centre) (entropy backward: dH/dx = −p·(x − E_p[x])).</summary>
    public static void ExpCentredAxpy(ReadOnlySpan<float> x, float shift, float centre, float alpha, Span<float> dst, bool use512 = false)
    {
        if (!FastExp.Has256) { SoftmaxReference.ExpCentredAxpy(x, shift, centre, alpha, dst); return; }
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(dst);
        int n = x.Length, i = 0;
        if (use512)
        {
            var a = Vector512.Create(alpha); var b = Vector512.Create(shift); var c = Vector512.Create(centre);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref px, (nuint)i);
                var e = FastExp.Exp(v - b) * (v - c);
                Vector512.FusedMultiplyAdd(e, a, Vector512.LoadUnsafe(ref pd, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        {
            var a = Vector256.Create(alpha); var b = Vector256.Create(shift); var c = Vector256.Create(centre);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                var e = FastExp.Exp(v - b) * (v - c);
                Vector256.FusedMultiplyAdd(e, a, Vector256.LoadUnsafe(ref pd, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        for (; i < n; i++) dst[i] += alpha * MathF.Exp(x[i] - shift) * (x[i] - centre);
    }

    /// <summary>dx[j] += y[j]·(dy[j] − c) (softmax backward with c = Σ dy·y).</summary>
    public static void MulShiftedAdd(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float c, Span<float> dx)
    {
        if (!FastExp.Has256) { SoftmaxReference.MulShiftedAdd(y, dy, c, dx); return; }
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pg = ref MemoryMarshal.GetReference(dy);
        ref float pd = ref MemoryMarshal.GetReference(dx);
        int n = y.Length, i = 0;
        var vc = Vector256.Create(c);
        for (; i <= n - 8; i += 8)
        {
            var t = Vector256.LoadUnsafe(ref pg, (nuint)i) - vc;
            Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref py, (nuint)i), t, Vector256.LoadUnsafe(ref pd, (nuint)i))
                .StoreUnsafe(ref pd, (nuint)i);
        }
        for (; i < n; i++) dx[i] += y[i] * (dy[i] - c);
    }

    // ---------------------------------------------------------------- whole rows

    /// <summary>log Σ_j exp(x[j]) = m + log Σ exp(x − m), m = max x. −∞ for an all −∞ row.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x, bool use512 = false)
    {
        float m = Max(x);
        if (float.IsNegativeInfinity(m)) return m;
        return m + MathF.Log(ExpSum(x, 1f, m, use512));
    }

    /// <summary>y = softmax(x) = exp(x − max) / Σ exp(x − max). An empty row is a no-op.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y, bool use512 = false)
    {
        if (x.Length == 0) return;
        float m = Max(x);
        float s = ExpStore(x, 1f, m, y, use512);
        TensorPrimitives.Multiply(y, 1f / s, y);
    }

    /// <summary>y = log_softmax(x) = x − logsumexp(x).</summary>
    public static void LogSoftmaxRow(ReadOnlySpan<float> x, Span<float> y, bool use512 = false)
    {
        if (x.Length == 0) return;
        TensorPrimitives.Subtract(x, LogSumExp(x, use512), y);
    }

    /// <summary>dx += y ⊙ (dy − Σ dy·y) where y = softmax(x).</summary>
    public static void SoftmaxBackwardRow(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        MulShiftedAdd(y, dy, TensorPrimitives.Dot(dy, y), dx);

    /// <summary>dx += dy − softmax(x)·Σ dy where y = log_softmax(x) (so softmax = exp(y)).</summary>
    public static void LogSoftmaxBackwardRow(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool use512 = false)
    {
        TensorPrimitives.Add(dx, dy, dx);
        ExpAxpy(y, 0f, -TensorPrimitives.Sum(dy), dx, use512);
    }
}
