using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rlhf.Tensors.Kernels;

/// <summary>Which micro-kernel <see cref="Gemm"/> uses.</summary>
public enum GemmKernel
{
    /// <summary>Pick the widest one the CPU runs natively (AVX-512, else AVX2+FMA, else scalar).</summary>
    Auto,
    /// <summary>Vector512 micro-kernel, 6×32 tile (emulated, slowly, when the CPU lacks AVX-512: tests use that).</summary>
    Avx512,
    /// <summary>Vector256 + FMA micro-kernel, 6×16 tile.</summary>
    Avx2,
    /// <summary>Plain scalar micro-kernel, 4×8 tile (fallback on CPUs without AVX2/FMA).</summary>
    Scalar,
}

/// <summary>
/// Single-precision GEMM: C (+)= op(A)·op(B), row-major, with A and/or B optionally transposed.
/// <para>
/// Structure follows BLIS/GotoBLAS: the k dimension is cut into KC-deep slices, B into NC-wide blocks packed into
/// NR-wide column panels, A into MC-tall blocks packed into MR-tall row panels; a register-blocked micro-kernel
/// multiplies one A panel by one B panel into an MR×NR tile of C held in vector registers. Transposition is
/// handled entirely by the packing routines, so one micro-kernel serves A·B, A·Bᵀ, Aᵀ·B and Aᵀ·Bᵀ.
/// </para>
/// <para>
/// Threads split C into disjoint column (or row) ranges. Every element of C is accumulated in the same order
/// (KC slices in order, k ascending inside the micro-kernel) whatever the thread count or tile position, so
/// results are bit-identical across runs and thread counts. <see cref="GemmReference"/> is the scalar oracle.
/// </para>
/// </summary>
public static unsafe class Gemm
{
    private const int KC = 256;   // depth of one packed slice: an MR×KC A panel + a KC×NR B panel stay in L1/L2
    private const int MC = 96;    // rows of A per packed block (multiple of 6 and 4): MC×KC×4 B = 96 KiB, in L2
    private const int NC = 3072;  // columns of B per packed block (multiple of 32/16/8): KC×NC×4 B = 3 MiB, in L3

    /// <summary>Upper bound on threads (defaults to the core count).</summary>
    public static int MaxThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>The micro-kernel <see cref="GemmKernel.Auto"/> resolves to on this CPU.</summary>
    public static GemmKernel NativeKernel { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? GemmKernel.Avx512
        : Fma.IsSupported && Avx2.IsSupported ? GemmKernel.Avx2
        : GemmKernel.Scalar;

    [ThreadStatic] private static float* t_packA;
    [ThreadStatic] private static float* t_packB;

    /// <summary>
    /// C[i, j] (+)= Σ_p op(A)[i, p] · op(B)[p, j] for i &lt; m, j &lt; n, p &lt; k (same contract as
    /// <see cref="GemmReference.Multiply"/>). op(A) is A (m×k, row stride <paramref name="lda"/>) or, with
    /// <paramref name="transA"/>, Aᵀ where A is stored k×m; likewise B (k×n, or n×k with <paramref name="transB"/>).
    /// With <paramref name="accumulate"/> false C is overwritten.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate,
        GemmKernel kernel = GemmKernel.Auto)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0) return;
        if (!accumulate)
        {
            for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        }
        if (k == 0) return;
        if (kernel == GemmKernel.Auto) kernel = NativeKernel;

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var job = new Job(transA, transB, k, pa, lda, pb, ldb, pc, ldc, kernel);
            long flops = 2L * m * n * k;
            int threads = flops < 2_000_000 ? 1 : Math.Max(1, MaxThreads);
            var (mr, nr) = Tile(kernel);
            // split the larger of m and n into per-thread ranges aligned to the tile, so threads never share a C tile
            bool splitN = n >= m;
            int extent = splitN ? n : m, unit = splitN ? nr : mr;
            int units = (extent + unit - 1) / unit;
            threads = Math.Min(threads, units);
            if (threads <= 1)
            {
                job.Run(0, m, 0, n);
                return;
            }
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int u0 = (int)((long)units * t / threads), u1 = (int)((long)units * (t + 1) / threads);
                int lo = u0 * unit, hi = Math.Min(extent, u1 * unit);
                if (lo >= hi) return;
                if (splitN) job.Run(0, m, lo, hi);
                else job.Run(lo, hi, 0, n);
            });
        }
    }

    /// <summary>Register tile (MR rows × NR columns) of a micro-kernel.</summary>
    public static (int Mr, int Nr) Tile(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Avx512 => (6, 32),
        GemmKernel.Avx2 => (6, 16),
        GemmKernel.Scalar => (4, 8),
        _ => Tile(NativeKernel),
    };

    /// <summary>Checks dimensions, leading dimensions and buffer lengths; throws with the offending values named.</summary>
    public static void Validate(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Gemm: negative size m={m}, n={n}, k={k}");
        CheckOperand("A", transA ? k : m, transA ? m : k, a.Length, lda);
        CheckOperand("B", transB ? n : k, transB ? k : n, b.Length, ldb);
        CheckOperand("C", m, n, c.Length, ldc);
    }

    private static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException(name, $"Gemm: leading dimension of {name} is {ld}, must be at least {Math.Max(1, cols)} (a {rows}×{cols} matrix)");
        if (rows > 0 && cols > 0 && length < (long)(rows - 1) * ld + cols)
            throw new ArgumentException($"Gemm: {name} has {length} elements, a {rows}×{cols} matrix with leading dimension {ld} needs {(long)(rows - 1) * ld + cols}", name);
    }

    private readonly struct Job(bool transA, bool transB, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, GemmKernel kernel)
    {
        /// <summary>Computes the C block rows [i0, i1) × columns [j0, j1) (all of k).</summary>
        public void Run(int i0, int i1, int j0, int j1)
        {
            var (mr, nr) = Tile(kernel);
            float* tile = stackalloc float[6 * 32];
            float* packA = t_packA;
            if (packA == null) t_packA = packA = (float*)NativeMemory.AlignedAlloc((nuint)(MC * KC * sizeof(float)), 64);
            float* packB = t_packB;
            if (packB == null) t_packB = packB = (float*)NativeMemory.AlignedAlloc((nuint)((NC + 32) * KC * sizeof(float)), 64);

            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    PackB(transB, b, ldb, pc, kc, jc, nc, nr, packB);
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        PackA(transA, a, lda, ic, mc, pc, kc, mr, packA);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int nrEff = Math.Min(nr, nc - jr);
                            float* bPanel = packB + jr * kc;
                            for (int ir = 0; ir < mc; ir += mr)
                            {
                                int mrEff = Math.Min(mr, mc - ir);
                                float* aPanel = packA + ir * kc;
                                float* cTile = c + (long)(ic + ir) * ldc + jc + jr;
                                if (mrEff == mr && nrEff == nr)
                                {
                                    MicroKernel(kernel, kc, aPanel, bPanel, cTile, ldc);
                                }
                                else
                                {
                                    // edge tile: full-size tile into a scratch buffer (panels are zero-padded), then add the valid part
                                    new Span<float>(tile, mr * nr).Clear();
                                    MicroKernel(kernel, kc, aPanel, bPanel, tile, nr);
                                    for (int r = 0; r < mrEff; r++)
                                        for (int q = 0; q < nrEff; q++)
                                            cTile[(long)r * ldc + q] += tile[r * nr + q];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(GemmKernel kernel, int kc, float* a, float* b, float* c, int ldc)
    {
        switch (kernel)
        {
            case GemmKernel.Avx512: Micro6x32(kc, a, b, c, ldc); break;
            case GemmKernel.Avx2: Micro6x16(kc, a, b, c, ldc); break;
            default: Micro4x8Scalar(kc, a, b, c, ldc); break;
        }
    }

    /// <summary>
    /// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into MR-row panels: panel r holds, for each p, MR consecutive values
    /// (rows past the edge are zero).
    /// </summary>
    private static void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = dst + ir * kc;
            if (!transA)
            {
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(i0 + ir + r) * lda + p0;
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(p0 + p) * lda + i0 + ir;
                    for (int r = 0; r < rows; r++) panel[p * mr + r] = src[r];
                }
            }
            for (int r = rows; r < mr; r++)
                for (int p = 0; p < kc; p++) panel[p * mr + r] = 0f;
        }
    }

    /// <summary>
    /// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into NR-column panels: panel j holds, for each p, NR consecutive
    /// values (columns past the edge are zero).
    /// </summary>
    private static void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = dst + jr * kc;
            if (!transB)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * ldb + j0 + jr;
                    float* row = panel + p * nr;
                    if (cols == nr)
                    {
                        Buffer.MemoryCopy(src, row, nr * sizeof(float), nr * sizeof(float));
                    }
                    else
                    {
                        for (int q = 0; q < cols; q++) row[q] = src[q];
                        for (int q = cols; q < nr; q++) row[q] = 0f;
                    }
                }
            }
            else
            {
                for (int q = 0; q < cols; q++)
                {
                    float* src = b + (long)(j0 + jr + q) * ldb + p0;
                    for (int p = 0; p < kc; p++) panel[p * nr + q] = src[p];
                }
                for (int q = cols; q < nr; q++)
                    for (int p = 0; p < kc; p++) panel[p * nr + q] = 0f;
            }
        }
    }

    /// <summary>C[6×32] += A panel (kc×6) · B panel (kc×32): 12 zmm accumulators, B rows in 2 zmm, A broadcast.</summary>
    private static void Micro6x32(int kc, float* a, float* b, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += 32;
        }
        AddRow512(c, c00, c01);
        AddRow512(c + ldc, c10, c11);
        AddRow512(c + 2 * ldc, c20, c21);
        AddRow512(c + 3 * ldc, c30, c31);
        AddRow512(c + 4 * ldc, c40, c41);
        AddRow512(c + 5 * ldc, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow512(float* row, Vector512<float> v0, Vector512<float> v1)
    {
        (Vector512.Load(row) + v0).Store(row);
        (Vector512.Load(row + 16) + v1).Store(row + 16);
    }

    /// <summary>C[6×16] += A panel (kc×6) · B panel (kc×16): 12 ymm accumulators, B rows in 2 ymm, A broadcast.</summary>
    private static void Micro6x16(int kc, float* a, float* b, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += 16;
        }
        AddRow256(c, c00, c01);
        AddRow256(c + ldc, c10, c11);
        AddRow256(c + 2 * ldc, c20, c21);
        AddRow256(c + 3 * ldc, c30, c31);
        AddRow256(c + 4 * ldc, c40, c41);
        AddRow256(c + 5 * ldc, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow256(float* row, Vector256<float> v0, Vector256<float> v1)
    {
        (Vector256.Load(row) + v0).Store(row);
        (Vector256.Load(row + 8) + v1).Store(row + 8);
    }

    /// <summary>C[4×8] += A panel (kc×4) · B panel (kc×8), plain scalar code (no SIMD, fused multiply-add per term).</summary>
    private static void Micro4x8Scalar(int kc, float* a, float* b, float* c, int ldc)
    {
        float* acc = stackalloc float[32];
        new Span<float>(acc, 32).Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < 4; r++)
            {
                float x = a[r];
                for (int q = 0; q < 8; q++) acc[r * 8 + q] = MathF.FusedMultiplyAdd(x, b[q], acc[r * 8 + q]);
            }
            a += 4;
            b += 8;
        }
        for (int r = 0; r < 4; r++)
            for (int q = 0; q < 8; q++) c[(long)r * ldc + q] += acc[r * 8 + q];
    }
}
