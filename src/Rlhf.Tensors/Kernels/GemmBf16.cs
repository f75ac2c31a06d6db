using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// GEMM with a bfloat16 right operand (a frozen model's weight): C = A·op(B) (+ bias), A float32. The blocked path
/// of <see cref="Gemm"/> is reused unchanged except for the packing of B: each KC×NR panel is widened to float32 as it
/// is packed (exact), so the micro-kernels, the accumulation order and hence the results are those of
/// <see cref="Multiply"/> / <see cref="MultiplyAddBias"/> on the widened matrix (bit for bit, for products that take the
/// blocked path there: more than <see cref="SmallM"/> rows). B is read from memory at half the bytes; the packed panels
/// in cache are float32. <see cref="GemmReference.MultiplyBf16"/> is the scalar oracle.
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>
    /// C[i, j] = bias[j] + Σ_p A[i, p] · op(B)[p, j] for i &lt; m, j &lt; n, p &lt; k, C overwritten; op(B) is B (k×n,
    /// row stride <paramref name="ldb"/>) or, with <paramref name="transB"/>, Bᵀ where B is stored n×k. An empty
    /// <paramref name="bias"/> means none.
    /// </summary>
    public static void MultiplyBf16(bool transB, int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb,
        ReadOnlySpan<float> bias, Span<float> c, int ldc, GemmKernel kernel = GemmKernel.Auto)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Gemm: negative size m={m}, n={n}, k={k}");
        CheckOperand("A", m, k, a.Length, lda);
        CheckOperand("B", transB ? n : k, transB ? k : n, b.Length, ldb);
        CheckOperand("C", m, n, c.Length, ldc);
        if (bias.Length != 0 && bias.Length != n) throw new ArgumentException($"Gemm: bias has {bias.Length} elements, expected n = {n}", nameof(bias));
        if (m == 0 || n == 0) return;
        if (kernel == GemmKernel.Auto) kernel = NativeKernel;
        bool hasBias = bias.Length != 0, fuseBias = hasBias && kernel != GemmKernel.Scalar && k > 0;
        if (k == 0 || (hasBias && !fuseBias))
        {
            // start C at the bias (or zero) and accumulate onto it, as MultiplyAddBias does on these paths
            for (int i = 0; i < m; i++)
            {
                if (hasBias) bias.CopyTo(c.Slice(i * ldc, n));
                else c.Slice(i * ldc, n).Clear();
            }
            if (k == 0) return;
        }
        var padded = fuseBias ? new float[n + 32] : null; // the micro-kernels read whole NR-wide bias vectors
        if (fuseBias) bias.CopyTo(padded);
        fixed (float* pa = a)
        fixed (ushort* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = padded)
        {
            long flops = 2L * m * n * k;
            int threads = flops < 4_000_000 ? 1 : Math.Clamp(MaxThreads, 1, WorkerPool.Concurrency);
            var job = new Job(false, transB, k, pa, lda, null, ldb, pc, ldc, kernel, accumulate: hasBias && !fuseBias, pbias, pb);
            if (threads <= 1) job.Run(0, m, 0, n);
            else job.RunParallel(m, n, threads);
        }
    }

    /// <summary>
    /// <see cref="PackB"/> for a bf16 B: packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into NR-column float32 panels, widening
    /// each value (columns past the edge are zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBBf16(bool transB, ushort* b, int ldb, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        if (!transB)
        {
            // row by row, as PackB: row p of B holds op(B)[p, j0..] contiguously
            int full = nc / nr * nr;
            for (int p = 0; p < kc; p++)
            {
                ushort* src = b + (long)(p0 + p) * ldb + j0;
                float* row = dst + p * nr;
                int jr = 0;
                for (; jr < full; jr += nr) Bf16.ToFloat(src + jr, row + (long)jr * kc, nr);
                if (jr < nc)
                {
                    float* edge = row + (long)jr * kc;
                    int cols = nc - jr;
                    for (int q = 0; q < cols; q++) edge[q] = Bf16.ToFloat(src[jr + q]);
                    for (int q = cols; q < nr; q++) edge[q] = 0f;
                }
            }
            return;
        }
        // Bᵀ stored n×k: column j of op(B) is a contiguous row of the storage
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = dst + jr * kc;
            int q0 = 0;
            if (Avx2.IsSupported)
            {
                // 8 columns × 8 k-values at a time: widen 8 rows of 8, transpose in registers
                for (; q0 + 8 <= cols; q0 += 8)
                {
                    ushort* src = b + (long)(j0 + jr + q0) * ldb + p0;
                    int p = 0;
                    for (; p + 8 <= kc; p += 8)
                    {
                        ushort* s = src + p;
                        Transpose8(Bf16.Load8(s), Bf16.Load8(s + ldb), Bf16.Load8(s + 2L * ldb), Bf16.Load8(s + 3L * ldb),
                            Bf16.Load8(s + 4L * ldb), Bf16.Load8(s + 5L * ldb), Bf16.Load8(s + 6L * ldb), Bf16.Load8(s + 7L * ldb),
                            out var o0, out var o1, out var o2, out var o3, out var o4, out var o5, out var o6, out var o7);
                        float* d = panel + p * nr + q0;
                        Avx.Store(d, o0); Avx.Store(d + nr, o1); Avx.Store(d + 2 * nr, o2); Avx.Store(d + 3 * nr, o3);
                        Avx.Store(d + 4 * nr, o4); Avx.Store(d + 5 * nr, o5); Avx.Store(d + 6 * nr, o6); Avx.Store(d + 7 * nr, o7);
                    }
                    for (; p < kc; p++)
                        for (int q = 0; q < 8; q++) panel[p * nr + q0 + q] = Bf16.ToFloat(src[(long)q * ldb + p]);
                }
            }
            for (int q = q0; q < cols; q++)
            {
                ushort* src = b + (long)(j0 + jr + q) * ldb + p0;
                for (int p = 0; p < kc; p++) panel[p * nr + q] = Bf16.ToFloat(src[p]);
            }
            for (int q = cols; q < nr; q++)
                for (int p = 0; p < kc; p++) panel[p * nr + q] = 0f;
        }
    }
}
