using System.Numerics.Tensors;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Sum over the middle dimension of a row-major (outer, n, inner) block — any single-dimension reduction of a
/// contiguous tensor — and its backward (broadcast the (outer, inner) gradient back over n). Sums accumulate in
/// double in a fixed, shape-determined order (see <see cref="ReduceSum"/>).
/// </summary>
internal static class ReduceDim
{
    /// <summary>result[o·inner + i] = Σ_k x[offset + (o·n + k)·inner + i] (overwrites result).</summary>
    public static void Sum(float[] x, int offset, int outer, int n, int inner, double[] result)
    {
        if (outer == 0 || inner == 0) return;
        if (inner == 1)
        {
            if (outer == 1) result[0] = ReduceSum.SumAll(x, offset, n);
            else ReduceSum.RowSums(x, offset, outer, n, result);
            return;
        }
        if (outer == 1)
        {
            ReduceSum.ColumnSums(x, offset, n, inner, result);
            return;
        }
        ElementwiseParallel.ForRows(outer, n * inner, (o0, count) =>
        {
            for (int o = o0; o < o0 + count; o++)
                ReduceSum.ColumnSums(x, offset + o * n * inner, n, inner, result.AsSpan(o * inner, inner));
        });
    }

    /// <summary>
    /// dx[o, k, i] += g[o, i] · (mask is null ? 1 : mask[o, k, i]) — the backward of <see cref="Sum"/> (g already
    /// carries any per-output scale, e.g. 1/n for a mean). dx lives at <paramref name="dxOffset"/> in its storage.
    /// Outer rows run in parallel when large; each element is written by one thread.
    /// </summary>
    public static void BroadcastAdd(float[] g, float[]? mask, float[] dx, int dxOffset, int outer, int n, int inner)
    {
        ElementwiseParallel.ForRows(outer, n * inner, (o0, count) =>
        {
            for (int o = o0; o < o0 + count; o++)
            {
                if (inner == 1)
                {
                    var row = dx.AsSpan(dxOffset + o * n, n);
                    if (mask is null) TensorPrimitives.Add(row, g[o], row);
                    else TensorPrimitives.MultiplyAdd(mask.AsSpan(o * n, n), g[o], row, row);
                    continue;
                }
                var gRow = g.AsSpan(o * inner, inner);
                for (int k = 0; k < n; k++)
                {
                    int off = (o * n + k) * inner;
                    var row = dx.AsSpan(dxOffset + off, inner);
                    if (mask is null) TensorPrimitives.Add(row, gRow, row);
                    else TensorPrimitives.MultiplyAdd(mask.AsSpan(off, inner), gRow, row, row);
                }
            }
        });
    }
}
