using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = Σᵢ xᵢ·mᵢ over all elements (rank 0). <paramref name="mask"/> is a float tensor, normally 0/1 (other
    /// values act as weights), with x's shape or broadcastable to it (e.g. (B, T, 1) for x (B, T, C)).
    /// Positions with mᵢ = 0 contribute exactly 0 even when xᵢ is ±∞ or NaN (padding may hold garbage).
    /// The mask is a constant: it receives no gradient. Backward: dx += g·m.
    /// </summary>
    public static Tensor MaskedSum(Tensor x, Tensor mask) => MaskedCore("MaskedSum", x, mask, null, false, mean: false);

    /// <summary>
    /// y = Σₖ x[..., k, ...]·m[..., k, ...] along <paramref name="dim"/> (removed, or kept as size 1 with
    /// <paramref name="keepDim"/>). Same mask rules as <see cref="MaskedSum(Tensor, Tensor)"/>. Backward: dx += g·m.
    /// </summary>
    public static Tensor MaskedSum(Tensor x, Tensor mask, int dim, bool keepDim = false) =>
        MaskedCore("MaskedSum", x, mask, dim, keepDim, mean: false);

    /// <summary>
    /// Shared core of MaskedSum/MaskedMean: s = Σ x·m (masked-out positions exactly 0) and, for the mean,
    /// c = Σ m and y = s / c with y = 0 (and zero gradient) where c = 0. Sums accumulate in double.
    /// </summary>
    private static Tensor MaskedCore(string op, Tensor x, Tensor mask, int? dim, bool keepDim, bool mean)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(mask);
        var xc = x.Contiguous();
        var xShape = xc.ShapeArray();
        if (mask.Rank > xc.Rank || !BroadcastShape(op, xShape, mask.ShapeArray()).AsSpan().SequenceEqual(xShape))
            throw new TensorShapeException(
                $"{op}: mask shape {Tensor.ShapeString(mask.Shape)} does not match (or broadcast to) x shape {Tensor.ShapeString(xShape)}");
        var m = BroadcastToArray(mask, xShape);
        var (outer, n, inner, outShape) = ReductionLayout(op, xc, dim, keepDim);

        var xs = xc.Span;
        var prod = new float[m.Length];
        for (int i = 0; i < prod.Length; i++) prod[i] = m[i] != 0f ? xs[i] * m[i] : 0f;
        var sums = new double[outer * inner];
        ReduceDim.Sum(prod, 0, outer, n, inner, sums);
        double[]? counts = null;
        if (mean)
        {
            counts = new double[outer * inner];
            ReduceDim.Sum(m, 0, outer, n, inner, counts);
        }

        var y = Tensor.Uninitialized(outShape);
        var ys = y.Span;
        for (int i = 0; i < ys.Length; i++)
            ys[i] = (float)(counts is null ? sums[i] : counts[i] == 0 ? 0 : sums[i] / counts[i]);

        return Tensor.Record(y, op, [xc], g =>
        {
            var gs = g.ToArray();
            if (counts is not null)
                for (int i = 0; i < gs.Length; i++) gs[i] = counts[i] == 0 ? 0f : (float)(gs[i] / counts[i]);
            xc.GradBuffer();
            ReduceDim.BroadcastAdd(gs, m, xc.Grad!.Storage, xc.Grad.Offset, outer, n, inner);
        });
    }
}
