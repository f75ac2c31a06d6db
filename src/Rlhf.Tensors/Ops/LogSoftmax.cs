using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = log_softmax(x) along <paramref name="dim"/>: y_j = x_j − m − log Σ_k exp(x_k − m), m = max x (stable).
    /// Backward: dx = dy − softmax(x)·Σ_k dy_k, with softmax(x) = exp(y) recomputed from the saved output.
    /// The kernel runs over the last dimension; another <paramref name="dim"/> is handled by transposing it last.
    /// </summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Tensor.NormalizeDim(dim, x.Rank, "LogSoftmax");
        if (d != x.Rank - 1) return Transpose(LogSoftmax(Transpose(x, d, -1).Contiguous(), -1), d, -1).Contiguous();

        var xc = x.Contiguous();
        int V = xc.Shape[^1], rows = V == 0 ? 0 : xc.Size / V;
        var y = Tensor.Uninitialized(xc.ShapeArray());
        float[] xa = xc.Storage, ya = y.Storage;
        int xo = xc.Offset;
        RowPartition.For(rows, 4L * V, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                SoftmaxKernel.LogSoftmaxRow(xa.AsSpan(xo + r * V, V), ya.AsSpan(r * V, V), FastExp.Prefer512);
        });
        return Tensor.Record(y, "LogSoftmax", [xc], g =>
        {
            var (dxa, dxo) = GradStorage.Of(xc);
            float[] ga = g.Storage; int go = g.Offset;
            RowPartition.For(rows, 4L * V, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                    SoftmaxKernel.LogSoftmaxBackwardRow(ya.AsSpan(r * V, V), ga.AsSpan(go + r * V, V), dxa.AsSpan(dxo + r * V, V), FastExp.Prefer512);
            });
        });
    }
}
