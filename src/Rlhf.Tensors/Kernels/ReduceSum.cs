using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Float sums accumulated in double precision (AVX2: floats are widened to doubles, four 4-lane accumulators).
/// Double accumulation keeps large reductions (loss means over B·T tokens, bias gradients over B·T rows) accurate
/// to float precision whatever the length, and every routine here sums in an order fixed by the shape alone, so
/// results are reproducible run to run and independent of the thread count. Only Vector256 is used, so an
/// AVX-512 machine produces the same bits as an AVX2 one. Scalar twin: <see cref="ReduceSumReference"/>.
/// </summary>
internal static class ReduceSum
{
    /// <summary>Rows per parallel block in <see cref="ColumnSums"/> are chosen so a block holds about this many elements.</summary>
    public const int BlockElements = 64 * 1024;

    /// <summary>Σ x[i], accumulated in double.</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        if (!Vector256.IsHardwareAccelerated || x.Length < 16) return ReduceSumReference.Sum(x);
        ref float p = ref MemoryMarshal.GetReference(x);
        Vector256<double> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            var (l0, h0) = Vector256.Widen(Vector256.LoadUnsafe(ref p, (nuint)i));
            var (l1, h1) = Vector256.Widen(Vector256.LoadUnsafe(ref p, (nuint)(i + 8)));
            acc0 += l0;
            acc1 += h0;
            acc2 += l1;
            acc3 += h1;
        }
        double s = Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    /// <summary>acc[i] += x[i] (float widened to double; exact same bits as the scalar twin).</summary>
    public static void AccumulateRow(Span<double> acc, ReadOnlySpan<float> x)
    {
        int n = x.Length;
        if (!Vector256.IsHardwareAccelerated || n < 8)
        {
            ReduceSumReference.AccumulateRow(acc, x);
            return;
        }
        ref float px = ref MemoryMarshal.GetReference(x);
        ref double pa = ref MemoryMarshal.GetReference(acc);
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref px, (nuint)i));
            (Vector256.LoadUnsafe(ref pa, (nuint)i) + lo).StoreUnsafe(ref pa, (nuint)i);
            (Vector256.LoadUnsafe(ref pa, (nuint)(i + 4)) + hi).StoreUnsafe(ref pa, (nuint)(i + 4));
        }
        for (; i < n; i++) acc[i] += x[i];
    }

    /// <summary>
    /// result[c] = Σ_r x[offset + r·cols + c] for a row-major (rows, cols) block (overwrites result).
    /// Rows are split into fixed blocks of ≈<see cref="BlockElements"/> elements; each block's partial sums are
    /// computed by one thread and the partials are added in block order, so the bits do not depend on threading.
    /// </summary>
    public static void ColumnSums(float[] x, int offset, int rows, int cols, Span<double> result)
    {
        result[..cols].Clear();
        if (rows == 0 || cols == 0) return;
        int rowsPerBlock = Math.Max(1, BlockElements / cols);
        int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
        if (blocks == 1)
        {
            for (int r = 0; r < rows; r++) AccumulateRow(result, x.AsSpan(offset + r * cols, cols));
            return;
        }
        var partial = new double[blocks * cols];
        WorkerPool.Run(blocks, b =>
        {
            var acc = partial.AsSpan(b * cols, cols);
            int end = Math.Min(rows, (b + 1) * rowsPerBlock);
            for (int r = b * rowsPerBlock; r < end; r++) AccumulateRow(acc, x.AsSpan(offset + r * cols, cols));
        });
        for (int b = 0; b < blocks; b++)
        {
            var acc = partial.AsSpan(b * cols, cols);
            for (int c = 0; c < cols; c++) result[c] += acc[c];
        }
    }

    /// <summary>
    /// Σ x[offset .. offset+length): fixed blocks of <see cref="BlockElements"/> are summed (in parallel when there
    /// are several) and the block sums are added in order, so the bits do not depend on threading.
    /// </summary>
    public static double SumAll(float[] x, int offset, int length)
    {
        int blocks = (length + BlockElements - 1) / BlockElements;
        if (blocks <= 1) return Sum(x.AsSpan(offset, length));
        var partial = new double[blocks];
        WorkerPool.Run(blocks, b =>
        {
            int start = b * BlockElements;
            partial[b] = Sum(x.AsSpan(offset + start, Math.Min(BlockElements, length - start)));
        });
        double s = 0;
        foreach (double p in partial) s += p;
        return s;
    }

    /// <summary>result[r] = Σ_c x[offset + r·cols + c] (overwrites result; rows run in parallel when large, one thread per row).</summary>
    public static void RowSums(float[] x, int offset, int rows, int cols, double[] result)
    {
        ElementwiseParallel.ForRows(rows, cols, (r0, count) =>
        {
            for (int r = r0; r < r0 + count; r++) result[r] = Sum(x.AsSpan(offset + r * cols, cols));
        });
    }
}
