namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Iteration plan for contiguous operands broadcast (NumPy rules) to an output shape.
/// <para>
/// Every operand gets stride 0 in the dimensions it is broadcast along. Dimensions of size 1 are dropped and
/// neighbouring dimensions that are contiguous for every operand are merged, so the output becomes
/// <see cref="Rows"/> × <see cref="Inner"/> with, per operand, an inner stride of 1 (a span) or 0 (a scalar
/// repeated along the row). E.g. (B, T, C) + (C) collapses to (B·T) rows of C with the bias at offset 0 in every
/// row; (B, T, V) · (B, T, 1) to B·T rows of V with a scalar per row. Element loops then run as whole-row
/// TensorPrimitives calls.
/// </para>
/// Offsets are relative to each operand's first element (index into its <see cref="Tensor.Span"/>).
/// </summary>
internal sealed class ElementwisePlan
{
    private readonly int[] _outerDims;      // collapsed dimensions before the inner one
    private readonly int[][] _outerStrides; // per operand, stride of each outer dimension (0 = broadcast)
    private readonly int[] _innerStride;    // per operand: 1 or 0
    private readonly int[] _operandSize;

    /// <summary>The broadcast output shape.</summary>
    public int[] OutShape { get; }

    /// <summary>Number of output rows (product of the collapsed outer dimensions; 0 for an empty output).</summary>
    public int Rows { get; }

    /// <summary>Length of the innermost collapsed dimension.</summary>
    public int Inner { get; }

    /// <summary>Builds the plan; operand shapes must already be known to broadcast to <paramref name="outShape"/>.</summary>
    public ElementwisePlan(int[] outShape, params int[][] operandShapes)
    {
        OutShape = outShape;
        int rank = outShape.Length, ops = operandShapes.Length;
        _operandSize = new int[ops];

        // full-rank strides per operand, 0 where broadcast
        var strides = new int[ops][];
        for (int k = 0; k < ops; k++)
        {
            var s = operandShapes[k];
            var cs = Tensor.ContiguousStrides(s);
            strides[k] = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                int j = i - (rank - s.Length);
                strides[k][i] = j < 0 || s[j] == 1 ? 0 : cs[j];
            }
            _operandSize[k] = Tensor.ShapeSize(s);
        }

        // drop size-1 dimensions, merge (i, i+1) when every operand steps through them as one block
        var dims = new List<int>();
        var merged = new List<int[]>(); // per kept dim, strides of all operands
        for (int i = 0; i < rank; i++)
        {
            if (outShape[i] == 1) continue;
            var st = new int[ops];
            for (int k = 0; k < ops; k++) st[k] = strides[k][i];
            if (dims.Count > 0)
            {
                var prev = merged[^1];
                bool canMerge = true;
                for (int k = 0; k < ops && canMerge; k++) canMerge = prev[k] == st[k] * outShape[i];
                if (canMerge)
                {
                    dims[^1] *= outShape[i];
                    merged[^1] = st;
                    continue;
                }
            }
            dims.Add(outShape[i]);
            merged.Add(st);
        }

        if (dims.Count == 0) // scalar output (every dimension is 1)
        {
            dims.Add(1);
            merged.Add(new int[ops]);
        }
        Inner = dims[^1];
        _innerStride = merged[^1];
        _outerDims = dims.GetRange(0, dims.Count - 1).ToArray();
        _outerStrides = new int[ops][];
        for (int k = 0; k < ops; k++)
        {
            _outerStrides[k] = new int[_outerDims.Length];
            for (int d = 0; d < _outerDims.Length; d++) _outerStrides[k][d] = merged[d][k];
        }
        int rows = 1;
        foreach (int d in _outerDims) rows *= d;
        Rows = Inner == 0 ? 0 : rows;
        if (rows == 0) Inner = 0;
    }

    /// <summary>1 if operand <paramref name="k"/> varies along the row, 0 if it is one value repeated.</summary>
    public int InnerStride(int k) => _innerStride[k];

    /// <summary>True when operand <paramref name="k"/> is not broadcast at all (same element count as the output).</summary>
    public bool IsFull(int k) => _operandSize[k] == Rows * Inner;

    /// <summary>Offset of row <paramref name="row"/>'s first element in operand <paramref name="k"/>.</summary>
    public int Offset(int k, int row)
    {
        var st = _outerStrides[k];
        int off = 0;
        for (int d = _outerDims.Length - 1; d >= 0; d--)
        {
            int n = _outerDims[d];
            int q = row / n;
            off += (row - q * n) * st[d];
            row = q;
        }
        return off;
    }

    /// <summary>True when every outer stride of operand <paramref name="k"/> is 0 (the same slice in every row).</summary>
    private bool IsRowInvariant(int k)
    {
        foreach (int s in _outerStrides[k]) if (s != 0) return false;
        return true;
    }

    /// <summary>
    /// dst += <paramref name="full"/> summed over the dimensions along which operand <paramref name="k"/> is
    /// broadcast (the backward of broadcasting). <paramref name="full"/> holds an output-sized row-major block at
    /// <paramref name="offset"/>; <paramref name="dst"/> has the operand's size. Accumulates in double, in a fixed
    /// order (see <see cref="ReduceSum"/>).
    /// </summary>
    public void ReduceInto(int k, float[] full, int offset, Span<float> dst)
    {
        if (Rows == 0) return;
        if (IsFull(k))
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dst, full.AsSpan(offset, dst.Length), dst);
            return;
        }
        var acc = new double[_operandSize[k]];
        if (_innerStride[k] == 1 && IsRowInvariant(k))
        {
            // (..., C) broadcast over rows: column sums, parallel in fixed blocks
            ReduceSum.ColumnSums(full, offset, Rows, Inner, acc);
        }
        else if (_innerStride[k] == 1)
        {
            for (int r = 0; r < Rows; r++) ReduceSum.AccumulateRow(acc.AsSpan(Offset(k, r), Inner), full.AsSpan(offset + r * Inner, Inner));
        }
        else
        {
            var rowSums = new double[Rows];
            ReduceSum.RowSums(full, offset, Rows, Inner, rowSums);
            for (int r = 0; r < Rows; r++) acc[Offset(k, r)] += rowSums[r];
        }
        for (int i = 0; i < dst.Length; i++) dst[i] += (float)acc[i];
    }
}
