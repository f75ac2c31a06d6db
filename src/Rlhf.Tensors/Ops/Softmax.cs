using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = softmax(x) along <paramref name="dim"/>: y_j = exp(x_j − max x) / Σ_k exp(x_k − max x) (the row max is
    /// subtracted for stability). Backward: dx = y ⊙ (dy − Σ_k dy_k·y_k).
    /// The kernel runs over the last dimension; another <paramref name="dim"/> is handled by transposing it last
    /// (one extra copy each way).
    /// </summary>
    public static Tensor Softmax(Tensor x, int dim = -1)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Tensor.NormalizeDim(dim, x.Rank, "Softmax");
        if (d != x.Rank - 1) return Transpose(Softmax(Transpose(x, d, -1).Contiguous(), -1), d, -1).Contiguous();

        var xc = x.Contiguous();
        int V = xc.Shape[^1], rows = V == 0 ? 0 : xc.Size / V;
        var y = Tensor.Uninitialized(xc.ShapeArray());
        float[] xa = xc.Storage, ya = y.Storage;
        int xo = xc.Offset;
        RowPartition.For(rows, 4L * V, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                SoftmaxKernel.SoftmaxRow(xa.AsSpan(xo + r * V, V), ya.AsSpan(r * V, V), FastExp.Prefer512);
        });
        return Tensor.Record(y, "Softmax", [xc], g =>
        {
            var (dxa, dxo) = GradStorage.Of(xc);
            float[] ga = g.Storage; int go = g.Offset;
            RowPartition.For(rows, 3L * V, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                    SoftmaxKernel.SoftmaxBackwardRow(ya.AsSpan(r * V, V), ga.AsSpan(go + r * V, V), dxa.AsSpan(dxo + r * V, V));
            });
        });
    }
}
