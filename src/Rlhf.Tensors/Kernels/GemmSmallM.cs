using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// GEMM for short, wide products (m ≤ <see cref="SmallM"/> rows: one token per sequence during KV-cache decoding).
/// There the weights are read once per call and the blocked path's packing of B would triple the memory traffic,
/// so B is read in place: A·B runs a 6×16 register tile whose B rows are read straight from storage (stride ldb),
/// and A·Bᵀ runs row-of-B dot products against up to 4 rows of A at a time. Columns are split over threads.
/// Same contract and oracle (<see cref="GemmReference"/>) as the blocked path; each C element is computed by one
/// thread in a fixed order, so results do not depend on the thread count.
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>Products with at most this many rows take the small-m path (when Vector256 is accelerated).</summary>
    public const int SmallM = 16;

    /// <summary>Below this many flops a short product runs on the calling thread (dispatch costs more than it saves).</summary>
    private const long SmallMThreshold = 500_000;

    private static bool UseSmallM(int m, GemmKernel kernel) =>
        m <= SmallM && kernel != GemmKernel.Scalar && Vector256.IsHardwareAccelerated;

    private static void MultiplySmallM(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, int threads)
    {
        // A·B wants op(A) in 6-row panels, k-major (the micro-kernel's layout; rows past m are zero);
        // A·Bᵀ wants op(A) as plain rows (used in place when A is not transposed)
        int panels = (m + 5) / 6;
        bool copy = !transB || transA;
        long floats = transB ? (long)m * k : (long)panels * 6 * k;
        float* buffer = copy ? SmallMBuffer(floats) : null;
        if (!transB)
        {
            for (int i = 0; i < panels * 6; i++)
                for (int p = 0; p < k; p++)
                    buffer[(long)(i / 6) * 6 * k + (long)p * 6 + i % 6] = i >= m ? 0f : transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
        }
        else if (transA)
        {
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++) buffer[(long)i * k + p] = a[(long)p * lda + i];
        }
        float* rows = transB && !transA ? a : buffer;
        int rowStride = transB && !transA ? lda : k;

        int blocks = transB ? (n + 63) / 64 : (n + 15) / 16;
        int parts = Math.Min(threads, blocks);
        WorkerPool.Run(parts, t =>
        {
            int b0 = (int)((long)blocks * t / parts), b1 = (int)((long)blocks * (t + 1) / parts);
            if (transB) SmallMDots(m, k, rows, rowStride, b, ldb, c, ldc, accumulate, b0 * 64, Math.Min(n, b1 * 64));
            else SmallMStrided(m, k, rows, b, ldb, c, ldc, accumulate, b0 * 16, Math.Min(n, b1 * 16));
        });
    }

    [ThreadStatic] private static float* t_smallM;
    [ThreadStatic] private static long t_smallMLength;

    /// <summary>The calling thread's scratch for op(A) (decoding calls this hundreds of times per token).</summary>
    private static float* SmallMBuffer(long floats)
    {
        if (t_smallMLength < floats)
        {
            if (t_smallM != null) NativeMemory.AlignedFree(t_smallM);
            t_smallMLength = Math.Max(floats, 16 * 4096);
            t_smallM = (float*)NativeMemory.AlignedAlloc((nuint)(t_smallMLength * sizeof(float)), 64);
        }
        return t_smallM;
    }

    /// <summary>C[:, j0..j1) (+)= A·B with B (k×n) read in place, 16 columns × 6 rows at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SmallMStrided(int m, int k, float* packA, float* b, int ldb, float* c, int ldc, bool accumulate, int j0, int j1)
    {
        float* tile = stackalloc float[6 * 16];
        int full = j0 + (j1 - j0) / 16 * 16;
        for (int j = j0; j < full; j += 16)
        {
            for (int i = 0; i < m; i += 6)
            {
                float* aPanel = packA + (long)i * k;
                int rows = Math.Min(6, m - i);
                if (rows == 6)
                {
                    MicroStrided6x16(k, aPanel, b + j, ldb, c + (long)i * ldc + j, ldc, !accumulate);
                    continue;
                }
                MicroStrided6x16(k, aPanel, b + j, ldb, tile, 16, overwrite: true);
                for (int r = 0; r < rows; r++)
                    for (int q = 0; q < 16; q++)
                    {
                        float* dst = c + (long)(i + r) * ldc + j + q;
                        *dst = accumulate ? *dst + tile[r * 16 + q] : tile[r * 16 + q];
                    }
            }
        }
        // ragged last columns: plain dot products over the packed rows
        for (int j = full; j < j1; j++)
            for (int i = 0; i < m; i++)
            {
                float* aRow = packA + (long)(i / 6) * 6 * k + i % 6;
                float sum = 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(aRow[p * 6], b[(long)p * ldb + j], sum);
                float* dst = c + (long)i * ldc + j;
                *dst = accumulate ? *dst + sum : sum;
            }
    }

    /// <summary>C[6×16] (+)= A panel (k×6) · B[0..k, 0..16) read with row stride ldb.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroStrided6x16(int k, float* a, float* b, int ldb, float* c, int ldc, bool overwrite)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        long ahead = 8L * ldb; // B rows are ldb apart: too far for the hardware prefetcher to follow, so ask for them
        for (int p = 0; p < k; p++)
        {
            if (Sse.IsSupported) Sse.Prefetch0(b + ahead);
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += ldb;
        }
        StoreRow256(c, c00, c01, overwrite);
        StoreRow256(c + ldc, c10, c11, overwrite);
        StoreRow256(c + 2 * ldc, c20, c21, overwrite);
        StoreRow256(c + 3 * ldc, c30, c31, overwrite);
        StoreRow256(c + 4 * ldc, c40, c41, overwrite);
        StoreRow256(c + 5 * ldc, c50, c51, overwrite);
    }

    /// <summary>
    /// C[:, j0..j1) (+)= A·Bᵀ with B stored n×k: C[i, j] = Σ_p A[i, p]·B[j, p]; each row of B is loaded once per 4 rows
    /// of A (8 lanes of p at a time, 4 accumulators), then reduced horizontally.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SmallMDots(int m, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, int j0, int j1)
    {
        int k8 = k / 8 * 8;
        for (int j = j0; j < j1; j++)
        {
            float* bRow = b + (long)j * ldb;
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                // rows past m alias row i: computed and discarded (keeps the loop branch-free)
                float* a0 = a + (long)i * lda, a1 = a0 + (rows > 1 ? lda : 0), a2 = a0 + (rows > 2 ? 2L * lda : 0), a3 = a0 + (rows > 3 ? 3L * lda : 0);
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (int p = 0; p < k8; p += 8)
                {
                    var bv = Vector256.Load(bRow + p);
                    s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a0 + p), bv, s0);
                    s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a1 + p), bv, s1);
                    s2 = Vector256.FusedMultiplyAdd(Vector256.Load(a2 + p), bv, s2);
                    s3 = Vector256.FusedMultiplyAdd(Vector256.Load(a3 + p), bv, s3);
                }
                float d0 = Vector256.Sum(s0), d1 = Vector256.Sum(s1), d2 = Vector256.Sum(s2), d3 = Vector256.Sum(s3);
                for (int p = k8; p < k; p++)
                {
                    d0 = MathF.FusedMultiplyAdd(a0[p], bRow[p], d0);
                    d1 = MathF.FusedMultiplyAdd(a1[p], bRow[p], d1);
                    d2 = MathF.FusedMultiplyAdd(a2[p], bRow[p], d2);
                    d3 = MathF.FusedMultiplyAdd(a3[p], bRow[p], d3);
                }
                for (int r = 0; r < rows; r++)
                {
                    float d = r switch { 0 => d0, 1 => d1, 2 => d2, _ => d3 };
                    float* dst = c + (long)(i + r) * ldc + j;
                    *dst = accumulate ? *dst + d : d;
                }
            }
        }
    }
}
