using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = Σᵢ xᵢ over all elements, a rank-0 tensor (0 for an empty tensor). Accumulated in double in fixed
    /// 64K-element blocks added in order: deterministic and accurate whatever the size or thread count.
    /// Backward: dx += g (broadcast).
    /// </summary>
    public static Tensor Sum(Tensor x) => SumCore("Sum", x, null, false, mean: false);

    /// <summary>
    /// y = Σₖ x[..., k, ...] along <paramref name="dim"/> (negative counts from the end); the dimension is removed,
    /// or kept with size 1 when <paramref name="keepDim"/>. Double accumulation. Backward: dx[..., k, ...] += g[...].
    /// </summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => SumCore("Sum", x, dim, keepDim, mean: false);

    private static Tensor SumCore(string op, Tensor x, int? dim, bool keepDim, bool mean)
    {
        ArgumentNullException.ThrowIfNull(x);
        var xc = x.Contiguous();
        var (outer, n, inner, outShape) = ReductionLayout(op, xc, dim, keepDim);
        var sums = new double[outer * inner];
        ReduceDim.Sum(xc.Storage, xc.Offset, outer, n, inner, sums);
        var y = Tensor.Uninitialized(outShape);
        var ys = y.Span;
        for (int i = 0; i < ys.Length; i++) ys[i] = (float)(mean ? sums[i] / n : sums[i]);
        return Tensor.Record(y, op, [xc], g =>
        {
            var gs = g.ToArray();
            if (mean) for (int i = 0; i < gs.Length; i++) gs[i] = (float)((double)gs[i] / n);
            xc.GradBuffer();
            ReduceDim.BroadcastAdd(gs, null, xc.Grad!.Storage, xc.Grad.Offset, outer, n, inner);
        });
    }

    /// <summary>
    /// Views x as (outer, n, inner) around the reduced dimension (all of x when <paramref name="dim"/> is null,
    /// giving a rank-0 result) and computes the output shape.
    /// </summary>
    private static (int Outer, int N, int Inner, int[] OutShape) ReductionLayout(string op, Tensor x, int? dim, bool keepDim)
    {
        if (dim is null) return (1, x.Size, 1, []);
        int d = Tensor.NormalizeDim(dim.Value, x.Rank, op);
        var shape = x.Shape;
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        var outShape = new List<int>(shape.Length);
        for (int i = 0; i < shape.Length; i++)
        {
            if (i != d) outShape.Add(shape[i]);
            else if (keepDim) outShape.Add(1);
        }
        return (outer, shape[d], inner, outShape.ToArray());
    }
}
