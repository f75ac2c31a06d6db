using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Vectorized single-precision e^x (Cephes expf): x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite two-part ln2),
/// e^r from a degree-6 polynomial, 2^n built in the exponent bits. Relative error ≤ ~2 ulp on the normal range.
/// <para>
/// Shared by the softmax / cross-entropy / attention / GELU kernels (the BCL's Vector256.Exp widens to double and
/// is several times slower). Its scalar twin is <see cref="MathF.Exp"/>. Inputs are clamped to [-88, 88]:
/// e^x for x ≤ -88 (and -∞) returns 0, for x ≥ 88 returns e^88 ≈ 1.65e38 instead of overflowing to +∞ —
/// the callers only need the first (masked logits) and never rely on overflow. NaN propagates.
/// </para>
/// </summary>
internal static class FastExp
{
    private const float Lo = -88f, Hi = 88f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>e^x per lane (256-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(Lo)), Vector256.Create(Hi));
        var n = Vector256.Round(x * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        // n ∈ [-127, 127]: biased exponent n+127 ∈ [0, 254]; 0 encodes +0, so x ≤ -88 gives exactly 0
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <summary>e^x per lane (512-bit); same algorithm and constants as the 256-bit version.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(Lo)), Vector512.Create(Hi));
        var n = Vector512.Round(x * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <summary>
    /// True when row kernels should use 512-bit vectors (only where the hardware has them: emulated Vector512 is
    /// slower than Vector256). Kernels take a <c>use512</c> argument defaulting to this so tests can force either path.
    /// </summary>
    public static readonly bool Prefer512 = Vector512.IsHardwareAccelerated;

    /// <summary>True when the 256-bit paths run in hardware; otherwise the kernels fall back to their scalar twins.</summary>
    public static readonly bool Has256 = Vector256.IsHardwareAccelerated;
}
