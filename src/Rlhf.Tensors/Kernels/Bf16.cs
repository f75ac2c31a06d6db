using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// bfloat16 ↔ float32. A bf16 value is the upper half of a float32 (sign, 8 exponent bits, 7 mantissa bits), so
/// widening is exact (a 16-bit shift) and narrowing is a rounding of the lower 16 bits: round to nearest, ties to even
/// (as PyTorch's <c>tensor.to(torch.bfloat16)</c> and the AVX-512 BF16 <c>vcvtneps2bf16</c> instruction). NaN stays a
/// (quiet) NaN with its sign; ±∞ stay ±∞; finite values beyond the largest bf16 round to ±∞.
/// <para>
/// .NET 10 exposes no BF16 dot-product instruction (<c>vdpbf16ps</c>: no <c>Avx512Bf16</c> class, and AVX10.2's
/// intrinsics carry no bf16 arithmetic), so products with bf16 weights widen them to float32 while packing GEMM panels
/// (<see cref="Gemm.MultiplyBf16"/>) and accumulate in float32.
/// </para>
/// </summary>
public static unsafe class Bf16
{
    /// <summary>float32 → bf16, round to nearest even (NaN → quiet NaN).</summary>
    public static ushort FromFloat(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((bits >> 16) | 0x0040u); // NaN: keep sign, set the quiet bit
        uint lowestKept = (bits >> 16) & 1u;
        // adding 0x7FFF rounds up exactly when the dropped half is > 0x8000; at exactly 0x8000 the kept lsb breaks the tie
        return (ushort)((bits + 0x7FFFu + lowestKept) >> 16);
    }

    /// <summary>bf16 → float32 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Rounds every element of <paramref name="source"/> (<see cref="FromFloat(float)"/>).</summary>
    public static void FromFloat(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"Bf16.FromFloat: destination has {destination.Length} elements, the source {source.Length}", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = FromFloat(source[i]);
    }

    /// <summary>Widens every element of <paramref name="source"/> (8 at a time with AVX2; <see cref="ToFloatScalar"/> is the twin).</summary>
    public static void ToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"Bf16.ToFloat: destination has {destination.Length} elements, the source {source.Length}", nameof(destination));
        fixed (ushort* s = source)
        fixed (float* d = destination)
            ToFloat(s, d, source.Length);
    }

    /// <summary>The readable scalar twin of <see cref="ToFloat(ReadOnlySpan{ushort}, Span{float})"/>: one shift per element.</summary>
    public static void ToFloatScalar(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"Bf16.ToFloatScalar: destination has {destination.Length} elements, the source {source.Length}", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = ToFloat(source[i]);
    }

    /// <summary>dst[0..n) = widened src[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ToFloat(ushort* src, float* dst, int n)
    {
        int i = 0;
        if (Avx2.IsSupported)
            for (; i + 8 <= n; i += 8) Avx.Store(dst + i, Load8(src + i));
        for (; i < n; i++) dst[i] = ToFloat(src[i]);
    }

    /// <summary>Eight bf16 values widened to float32: zero-extend to 32 bits (vpmovzxwd), shift left by 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Load8(ushort* src) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(src), 16).AsSingle();
}
