using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>y_row = f(x_row) for one row of V elements.</summary>
    private delegate void RowForward(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx_row += f'(y_row, dy_row) for one row, from the saved output.</summary>
    private delegate void RowBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>
    /// Shared driver of the row-wise normalisations (softmax, log-softmax) along <paramref name="dim"/>: rows of the
    /// last dimension are split over threads (each row by one thread: deterministic); another <paramref name="dim"/> is
    /// handled by transposing it last (one extra copy each way). Backward recomputes from the saved output.
    /// </summary>
    private static Tensor RowWise(Tensor x, int dim, string op, RowForward forward, RowBackward backward, long forwardCost, long backwardCost)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Tensor.NormalizeDim(dim, x.Rank, op);
        if (d != x.Rank - 1)
            return Transpose(RowWise(Transpose(x, d, -1).Contiguous(), -1, op, forward, backward, forwardCost, backwardCost), d, -1).Contiguous();

        var xc = x.Contiguous();
        int V = xc.Shape[^1], rows = V == 0 ? 0 : xc.Size / V;
        var y = Tensor.Uninitialized(xc.ShapeArray());
        float[] xa = xc.Storage, ya = y.Storage;
        int xo = xc.Offset;
        RowPartition.For(rows, forwardCost * V, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) forward(xa.AsSpan(xo + r * V, V), ya.AsSpan(r * V, V));
        });
        return Tensor.Record(y, op, [xc], g =>
        {
            var (dxa, dxo) = GradStorage.Of(xc);
            float[] ga = g.Storage; int go = g.Offset;
            RowPartition.For(rows, backwardCost * V, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++) backward(ya.AsSpan(r * V, V), ga.AsSpan(go + r * V, V), dxa.AsSpan(dxo + r * V, V));
            });
        });
    }
}
