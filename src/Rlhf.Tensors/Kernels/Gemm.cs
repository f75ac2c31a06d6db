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
public static unsafe partial class Gemm
{
    private const int KC = 256;   // depth of one packed slice: an MR×KC A panel + a KC×NR B panel stay in L1/L2
    private const int MC = 192;   // rows of A per packed block (multiple of 6 and 4): MC×KC×4 B = 192 KiB, in L2
    private const int NC = 3072;  // columns of B per packed block (multiple of 32/16/8): KC×NC×4 B = 3 MiB, in L3

    /// <summary>Upper bound on threads (defaults to <see cref="ThreadBudget.Threads"/>: the core count, or its share under mpiexec).</summary>
    public static int MaxThreads { get; set; } = ThreadBudget.Threads;

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
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        if (kernel == GemmKernel.Auto) kernel = NativeKernel;

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            long flops = 2L * m * n * k;
            int threads = flops < 4_000_000 ? 1 : Math.Clamp(MaxThreads, 1, WorkerPool.Concurrency);
            if (UseSmallM(m, kernel))
            {
                MultiplySmallM(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, flops < SmallMThreshold ? 1 : Math.Clamp(MaxThreads, 1, WorkerPool.Concurrency));
                return;
            }
            var job = new Job(transA, transB, k, pa, lda, pb, ldb, pc, ldc, kernel, accumulate, null);
            if (threads <= 1) job.Run(0, m, 0, n);
            else job.RunParallel(m, n, threads);
        }
    }

    /// <summary>
    /// C = bias + op(A)·op(B), with <paramref name="bias"/> (n) added to every row and C overwritten: the fused
    /// affine layer. The blocked path starts its register tiles from the bias instead of zero, so the bias costs no
    /// extra pass over C; other paths fill C with the bias first and accumulate onto it (same result up to rounding order).
    /// </summary>
    public static void MultiplyAddBias(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, Span<float> c, int ldc,
        GemmKernel kernel = GemmKernel.Auto)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (bias.Length != n) throw new ArgumentException($"Gemm: bias has {bias.Length} elements, expected n = {n}", nameof(bias));
        if (m == 0 || n == 0) return;
        if (kernel == GemmKernel.Auto) kernel = NativeKernel;
        if (k == 0 || kernel == GemmKernel.Scalar || UseSmallM(m, kernel))
        {
            for (int i = 0; i < m; i++) bias.CopyTo(c.Slice(i * ldc, n));
            Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate: true, kernel);
            return;
        }
        // the micro-kernels read whole NR-wide bias vectors, so edge panels need a zero-padded copy
        var padded = new float[n + 32];
        bias.CopyTo(padded);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = padded)
        {
            long flops = 2L * m * n * k;
            int threads = flops < 4_000_000 ? 1 : Math.Clamp(MaxThreads, 1, WorkerPool.Concurrency);
            var job = new Job(transA, transB, k, pa, lda, pb, ldb, pc, ldc, kernel, accumulate: false, pbias);
            if (threads <= 1) job.Run(0, m, 0, n);
            else job.RunParallel(m, n, threads);
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

    /// <summary>One blocked product; B is float32 (<paramref name="b"/>) or, when <paramref name="bf16B"/> is set, bf16 widened while packing.</summary>
    private readonly struct Job(bool transA, bool transB, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, GemmKernel kernel, bool accumulate, float* bias, ushort* bf16B = null)
    {
        /// <summary>
        /// Multi-threaded GEMM. Phase 1: all threads pack the whole of op(B) into NR-wide panels, slice by slice
        /// (each thread packs its own panels, so B is read and packed once in total). Phase 2: each thread computes
        /// its own rows of C (its own columns when C has too few rows to share), packing only its own rows of A.
        /// The two phases are separate fork/joins on <see cref="WorkerPool"/>, so no thread ever waits on a barrier
        /// inside a job (and a busy pool simply runs the parts in turn).
        /// </summary>
        public void RunParallel(int m, int n, int threads)
        {
            var (mr, nr) = Tile(kernel);
            int panels = (n + nr - 1) / nr, nPadded = panels * nr;
            float* packedB = SharedPackBuffer((long)k * nPadded);
            var self = this;

            // phase 1: pack op(B); slice pc (depth kc) starts at pc·nPadded, panel j of it at pc·nPadded + j·nr·kc
            int packChunks = Math.Min(panels, threads);
            WorkerPool.Run(packChunks, t =>
            {
                int j0 = (int)((long)panels * t / packChunks) * nr, j1 = Math.Min(n, (int)((long)panels * (t + 1) / packChunks) * nr);
                for (int pc = 0; pc < self.K; pc += self.Kc)
                {
                    int kc = Math.Min(self.Kc, self.K - pc);
                    self.PackPanels(pc, kc, j0, j1 - j0, nr, packedB + (long)pc * nPadded + (long)j0 * kc);
                }
            });

            // phase 2: split rows when every thread gets a few MR-row panels, else split column panels
            int rowPanels = (m + mr - 1) / mr;
            bool splitRows = rowPanels >= 4 * threads || rowPanels >= panels;
            int units = splitRows ? rowPanels : panels;
            // one chunk per thread: finer chunks balance better on a loaded machine but cost 3–5% on a quiet one
            // (each chunk re-streams the packed B and packs smaller A blocks)
            int chunks = Math.Min(units, threads);
            WorkerPool.Run(chunks, t =>
            {
                int u0 = (int)((long)units * t / chunks), u1 = (int)((long)units * (t + 1) / chunks);
                if (splitRows) self.ComputePacked(packedB, nPadded, u0 * mr, Math.Min(m, u1 * mr), 0, n);
                else self.ComputePacked(packedB, nPadded, 0, m, u0 * nr, Math.Min(n, u1 * nr));
            });
        }

        private int K => k;

        /// <summary>Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into NR-column panels (<see cref="PackB"/>, or <see cref="PackBBf16"/>).</summary>
        private void PackPanels(int p0, int kc, int j0, int nc, int nr, float* dst)
        {
            if (bf16B != null) PackBBf16(transB, bf16B, ldb, p0, kc, j0, nc, nr, dst);
            else PackB(transB, b, ldb, p0, kc, j0, nc, nr, dst);
        }

        /// <summary>
        /// Slice depth: k cut into equal slices of at most KC (rounded up to 8), so k = 384 runs as 2 × 192 rather
        /// than 256 + 128 — a short last slice pays the C-tile load/store for little work.
        /// </summary>
        private int Kc { get; } = BalancedSlice(k);

        /// <summary>C rows [i0, i1) × columns [j0, j1) from an already packed op(B) (j0 a multiple of NR).</summary>
        private void ComputePacked(float* packedB, int nPadded, int i0, int i1, int j0, int j1)
        {
            var (mr, nr) = Tile(kernel);
            float* tile = stackalloc float[6 * 32];
            float* packA = ThreadPackA();
            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += Kc)
                {
                    int kc = Math.Min(Kc, k - pc);
                    float* slice = packedB + (long)pc * nPadded + (long)jc * kc;
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        PackA(transA, a, lda, ic, mc, pc, kc, mr, packA);
                        Block(kernel, packA, slice, kc, mc, nc, c + (long)ic * ldc + jc, ldc, tile, overwrite: pc == 0 && !accumulate, pc == 0 && bias != null ? bias + jc : null);
                    }
                }
            }
        }

        /// <summary>Computes the C block rows [i0, i1) × columns [j0, j1) (all of k).</summary>
        public void Run(int i0, int i1, int j0, int j1)
        {
            var (mr, nr) = Tile(kernel);
            float* tile = stackalloc float[6 * 32];
            float* packA = ThreadPackA();
            float* packB = t_packB;
            if (packB == null) t_packB = packB = (float*)NativeMemory.AlignedAlloc((nuint)((NC + 32) * KC * sizeof(float)), 64);

            for (int jc = j0; jc < j1; jc += NC)
            {
                int nc = Math.Min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += Kc)
                {
                    int kc = Math.Min(Kc, k - pc);
                    PackPanels(pc, kc, jc, nc, nr, packB);
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        PackA(transA, a, lda, ic, mc, pc, kc, mr, packA);
                        Block(kernel, packA, packB, kc, mc, nc, c + (long)ic * ldc + jc, ldc, tile, overwrite: pc == 0 && !accumulate, pc == 0 && bias != null ? bias + jc : null);
                    }
                }
            }
        }
    }

    private static int BalancedSlice(int k)
    {
        int slices = (k + KC - 1) / KC;
        return Math.Min(KC, ((k + slices - 1) / slices + 7) / 8 * 8);
    }

    private static float* ThreadPackA()
    {
        float* packA = t_packA;
        if (packA == null) t_packA = packA = (float*)NativeMemory.AlignedAlloc((nuint)((MC + 8) * KC * sizeof(float)), 64);
        return packA;
    }

    [ThreadStatic] private static float* t_shared;
    [ThreadStatic] private static long t_sharedLength;

    /// <summary>The calling thread's buffer for a whole packed op(B), grown on demand (64-byte aligned).</summary>
    private static float* SharedPackBuffer(long floats)
    {
        if (t_sharedLength < floats)
        {
            if (t_shared != null) NativeMemory.AlignedFree(t_shared);
            t_sharedLength = Math.Max(floats, t_sharedLength * 3 / 2);
            t_shared = (float*)NativeMemory.AlignedAlloc((nuint)(t_sharedLength * sizeof(float)), 64);
        }
        return t_shared;
    }

    /// <summary>One packed A block (mc×kc) times one packed B slice (kc×nc) into C (mc×nc), tile by tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(GemmKernel kernel, float* packA, float* packB, int kc, int mc, int nc, float* c, int ldc, float* tile, bool overwrite, float* bias)
    {
        var (mr, nr) = Tile(kernel);
        for (int jr = 0; jr < nc; jr += nr)
        {
            int nrEff = Math.Min(nr, nc - jr);
            float* bPanel = packB + jr * kc;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int mrEff = Math.Min(mr, mc - ir);
                float* aPanel = packA + ir * kc;
                float* cTile = c + (long)ir * ldc + jr;
                if (mrEff == mr && nrEff == nr)
                {
                    MicroKernel(kernel, kc, aPanel, bPanel, cTile, ldc, overwrite, bias == null ? null : bias + jr);
                }
                else
                {
                    // edge tile: full-size tile into a scratch buffer (panels are zero-padded), then add the valid part
                    MicroKernel(kernel, kc, aPanel, bPanel, tile, nr, overwrite: true, bias == null ? null : bias + jr);
                    for (int r = 0; r < mrEff; r++)
                        for (int q = 0; q < nrEff; q++)
                        {
                            float* dst = cTile + (long)r * ldc + q;
                            *dst = overwrite ? tile[r * nr + q] : *dst + tile[r * nr + q];
                        }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MicroKernel(GemmKernel kernel, int kc, float* a, float* b, float* c, int ldc, bool overwrite, float* bias)
    {
        switch (kernel)
        {
            case GemmKernel.Avx512: Micro6x32(kc, a, b, c, ldc, overwrite, bias); break;
            case GemmKernel.Avx2: Micro6x16(kc, a, b, c, ldc, overwrite, bias); break;
            default: Micro4x8Scalar(kc, a, b, c, ldc, overwrite, bias); break;
        }
    }

    /// <summary>
    /// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into MR-row panels: panel r holds, for each p, MR consecutive values
    /// (rows past the edge are zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        if (transA)
        {
            // Aᵀ stored k×m: row p of the storage holds op(A)[i0.., p] contiguously. Walk the storage rows once,
            // sequentially (they are lda apart, often a multiple of 4 KiB), scattering mr values into each panel.
            int full = mc / mr * mr;
            // 6-row panels by 8-wide copies while 8 values of the row exist: the 2 extra floats land on the next p's
            // slots of the same panel, which the next iteration overwrites (so not for the last p)
            int vectorEnd = mr == 6 && Vector256.IsHardwareAccelerated ? Math.Min(full, mc - 8 + 1) : 0;
            for (int p = 0; p < kc; p++)
            {
                float* src = a + (long)(p0 + p) * lda + i0;
                float* d = dst + p * mr;
                int ir = 0;
                if (p + 1 < kc)
                    for (; ir < vectorEnd; ir += 6) Vector256.Store(Vector256.Load(src + ir), d + ir * kc);
                for (; ir < full; ir += mr)
                    for (int r = 0; r < mr; r++) d[ir * kc + r] = src[ir + r];
                if (full < mc)
                {
                    for (int r = 0; r < mc - full; r++) d[full * kc + r] = src[full + r];
                    for (int r = mc - full; r < mr; r++) d[full * kc + r] = 0f;
                }
            }
            return;
        }
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = dst + ir * kc;
            float* src = a + (long)(i0 + ir) * lda + p0;
            if (rows == 6 && mr == 6)
            {
                // six row streams, sequential writes: dst[p, 0..5] = A[i..i+5, p]
                float* r0 = src, r1 = src + lda, r2 = src + 2L * lda, r3 = src + 3L * lda, r4 = src + 4L * lda, r5 = src + 5L * lda;
                float* d = panel;
                int p = 0;
                if (Avx.IsSupported)
                {
                    // 8 k-values of the 6 rows at once: an 8×8 transpose (rows 6, 7 are dummies), each output
                    // column stored as 8 floats at stride 6 in increasing order, so the 2 spill-over floats are
                    // overwritten by the next store (the buffer has slack for the last one)
                    for (; p + 8 <= kc; p += 8, d += 48)
                        Transpose8x8Store6(r0 + p, r1 + p, r2 + p, r3 + p, r4 + p, r5 + p, d);
                }
                for (; p < kc; p++, d += 6)
                {
                    d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* row = src + (long)r * lda;
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = row[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into NR-column panels: panel j holds, for each p, NR consecutive
    /// values (columns past the edge are zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        if (!transB)
        {
            // row by row: each row of B is read once, sequentially (rows are ldb apart, often a multiple of 4 KiB,
            // so walking down a column of rows would thrash the cache sets), and scattered into the panels
            int full = nc / nr * nr;
            for (int p = 0; p < kc; p++)
            {
                float* src = b + (long)(p0 + p) * ldb + j0;
                float* row = dst + p * nr;
                int jr = 0;
                for (; jr < full; jr += nr)
                    for (int q = 0; q < nr; q += 8) Vector256.Store(Vector256.Load(src + jr + q), row + (long)jr * kc + q);
                if (jr < nc)
                {
                    float* edge = row + (long)jr * kc;
                    int cols = nc - jr;
                    for (int q = 0; q < cols; q++) edge[q] = src[jr + q];
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
            if (Avx.IsSupported)
            {
                // 8 columns × 8 k-values at a time through an 8×8 register transpose
                for (; q0 + 8 <= cols; q0 += 8)
                {
                    float* src = b + (long)(j0 + jr + q0) * ldb + p0;
                    int p = 0;
                    for (; p + 8 <= kc; p += 8) Transpose8x8(src + p, ldb, panel + p * nr + q0, nr);
                    for (; p < kc; p++)
                        for (int q = 0; q < 8; q++) panel[p * nr + q0 + q] = src[(long)q * ldb + p];
                }
            }
            for (int q = q0; q < cols; q++)
            {
                float* src = b + (long)(j0 + jr + q) * ldb + p0;
                for (int p = 0; p < kc; p++) panel[p * nr + q] = src[p];
            }
            for (int q = cols; q < nr; q++)
                for (int p = 0; p < kc; p++) panel[p * nr + q] = 0f;
        }
    }

    /// <summary>dst[c·dstStride + r] = src[r·srcStride + c] for an 8×8 block (AVX unpack/shuffle/permute transpose).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8x8(float* src, long srcStride, float* dst, long dstStride)
    {
        Transpose8(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride), Avx.LoadVector256(src + 2 * srcStride),
            Avx.LoadVector256(src + 3 * srcStride), Avx.LoadVector256(src + 4 * srcStride), Avx.LoadVector256(src + 5 * srcStride),
            Avx.LoadVector256(src + 6 * srcStride), Avx.LoadVector256(src + 7 * srcStride),
            out var o0, out var o1, out var o2, out var o3, out var o4, out var o5, out var o6, out var o7);
        Avx.Store(dst, o0); Avx.Store(dst + dstStride, o1); Avx.Store(dst + 2 * dstStride, o2); Avx.Store(dst + 3 * dstStride, o3);
        Avx.Store(dst + 4 * dstStride, o4); Avx.Store(dst + 5 * dstStride, o5); Avx.Store(dst + 6 * dstStride, o6); Avx.Store(dst + 7 * dstStride, o7);
    }

    /// <summary>Transposes 8 values from each of 6 rows and stores column c at dst + 6c (8-wide stores, ascending).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8x8Store6(float* r0, float* r1, float* r2, float* r3, float* r4, float* r5, float* dst)
    {
        var v5 = Avx.LoadVector256(r5);
        Transpose8(Avx.LoadVector256(r0), Avx.LoadVector256(r1), Avx.LoadVector256(r2), Avx.LoadVector256(r3),
            Avx.LoadVector256(r4), v5, v5, v5,
            out var o0, out var o1, out var o2, out var o3, out var o4, out var o5, out var o6, out var o7);
        Avx.Store(dst, o0); Avx.Store(dst + 6, o1); Avx.Store(dst + 12, o2); Avx.Store(dst + 18, o3);
        Avx.Store(dst + 24, o4); Avx.Store(dst + 30, o5); Avx.Store(dst + 36, o6); Avx.Store(dst + 42, o7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        out Vector256<float> o0, out Vector256<float> o1, out Vector256<float> o2, out Vector256<float> o3,
        out Vector256<float> o4, out Vector256<float> o5, out Vector256<float> o6, out Vector256<float> o7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        o0 = Avx.Permute2x128(u0, u4, 0x20); o1 = Avx.Permute2x128(u1, u5, 0x20);
        o2 = Avx.Permute2x128(u2, u6, 0x20); o3 = Avx.Permute2x128(u3, u7, 0x20);
        o4 = Avx.Permute2x128(u0, u4, 0x31); o5 = Avx.Permute2x128(u1, u5, 0x31);
        o6 = Avx.Permute2x128(u2, u6, 0x31); o7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>C[6×32] (+)= A panel (kc×6) · B panel (kc×32): 12 zmm accumulators, B rows in 2 zmm, A broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro6x32(int kc, float* a, float* b, float* c, int ldc, bool overwrite, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (bias != null)
        {
            // fused bias (first slice only): every row's accumulators start at the bias instead of zero
            c00 = c10 = c20 = c30 = c40 = c50 = Vector512.Load(bias);
            c01 = c11 = c21 = c31 = c41 = c51 = Vector512.Load(bias + 16);
        }
        PrefetchTile(c, ldc, 32);
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
        StoreRow512(c, c00, c01, overwrite);
        StoreRow512(c + ldc, c10, c11, overwrite);
        StoreRow512(c + 2 * ldc, c20, c21, overwrite);
        StoreRow512(c + 3 * ldc, c30, c31, overwrite);
        StoreRow512(c + 4 * ldc, c40, c41, overwrite);
        StoreRow512(c + 5 * ldc, c50, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow512(float* row, Vector512<float> v0, Vector512<float> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector512.Load(row);
            v1 += Vector512.Load(row + 16);
        }
        v0.Store(row);
        v1.Store(row + 16);
    }

    /// <summary>C[6×16] (+)= A panel (kc×6) · B panel (kc×16): 12 ymm accumulators, B rows in 2 ymm, A broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro6x16(int kc, float* a, float* b, float* c, int ldc, bool overwrite, float* bias)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (bias != null)
        {
            // fused bias (first slice only): every row's accumulators start at the bias instead of zero
            c00 = c10 = c20 = c30 = c40 = c50 = Vector256.Load(bias);
            c01 = c11 = c21 = c31 = c41 = c51 = Vector256.Load(bias + 8);
        }
        PrefetchTile(c, ldc, 16);
        // k unrolled by two: fewer loop-control uops per FMA
        int p = 0;
        for (; p + 1 < kc; p += 2)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            b0 = Vector256.Load(b + 16);
            b1 = Vector256.Load(b + 24);
            x = Vector256.Create(a[6]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[7]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[8]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[9]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[10]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[11]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += 12;
            b += 32;
        }
        for (; p < kc; p++)
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
        StoreRow256(c, c00, c01, overwrite);
        StoreRow256(c + ldc, c10, c11, overwrite);
        StoreRow256(c + 2 * ldc, c20, c21, overwrite);
        StoreRow256(c + 3 * ldc, c30, c31, overwrite);
        StoreRow256(c + 4 * ldc, c40, c41, overwrite);
        StoreRow256(c + 5 * ldc, c50, c51, overwrite);
    }

    /// <summary>Starts pulling the 6 C rows into L1 while the k loop runs (C is usually in L3 by now).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int ldc, int width)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < 6; r++)
        {
            Sse.Prefetch0(c + (long)r * ldc);
            Sse.Prefetch0(c + (long)r * ldc + width - 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow256(float* row, Vector256<float> v0, Vector256<float> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector256.Load(row);
            v1 += Vector256.Load(row + 8);
        }
        v0.Store(row);
        v1.Store(row + 8);
    }

    /// <summary>C[4×8] (+)= A panel (kc×4) · B panel (kc×8), plain scalar code (no SIMD, fused multiply-add per term).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro4x8Scalar(int kc, float* a, float* b, float* c, int ldc, bool overwrite, float* bias)
    {
        float* acc = stackalloc float[32];
        for (int i = 0; i < 32; i++) acc[i] = bias == null ? 0f : bias[i % 8];
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
            for (int q = 0; q < 8; q++) c[(long)r * ldc + q] = overwrite ? acc[r * 8 + q] : c[(long)r * ldc + q] + acc[r * 8 + q];
    }
}
