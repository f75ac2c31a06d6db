using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = x + bias over the last dimension: x (..., C), bias (C) → (..., C). The linear-layer bias; same result as
    /// <see cref="Add"/> but without the broadcast planning. Backward: dx += g; dbias += column sums of g over all
    /// rows, accumulated in double in fixed row blocks (deterministic, parallel for large inputs).
    /// </summary>
    public static Tensor BiasAdd(Tensor x, Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(bias);
        if (x.Rank < 1 || bias.Rank != 1 || x.Shape[^1] != bias.Shape[0])
            throw new TensorShapeException(
                $"BiasAdd: expected x (..., C) and bias (C), got {Tensor.ShapeString(x.Shape)} and {Tensor.ShapeString(bias.Shape)}");
        var xc = x.Contiguous();
        var bc = bias.Contiguous();
        int c = bc.Size, rows = c == 0 ? 0 : xc.Size / c;
        var y = Tensor.Uninitialized(xc.ShapeArray());
        ElementwiseParallel.ForRows(rows, c, (r0, count) =>
        {
            ReadOnlySpan<float> xs = xc.Span, bs = bc.Span;
            var ys = y.Span;
            for (int r = r0; r < r0 + count; r++) TensorPrimitives.Add(xs.Slice(r * c, c), bs, ys.Slice(r * c, c));
        });
        return Tensor.Record(y, "BiasAdd", [xc, bc], g =>
        {
            if (xc.RequiresGrad)
            {
                xc.GradBuffer();
                ElementwiseParallel.For(g.Size, (s, n) =>
                {
                    var dx = xc.Grad!.Span.Slice(s, n);
                    TensorPrimitives.Add(dx, g.Span.Slice(s, n), dx);
                });
            }
            if (bc.RequiresGrad)
            {
                var sums = new double[c];
                ReduceSum.ColumnSums(g.Storage, g.Offset, rows, c, sums);
                var db = bc.GradBuffer();
                for (int j = 0; j < c; j++) db[j] += (float)sums[j];
            }
        });
    }
}
