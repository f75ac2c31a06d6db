using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = log_softmax(x) along <paramref name="dim"/>: y_j = x_j − m − log Σ_k exp(x_k − m), m = max x (stable).
    /// Backward: dx = dy − softmax(x)·Σ_k dy_k, with softmax(x) = exp(y) recomputed from the saved output.
    /// The kernel runs over the last dimension; another <paramref name="dim"/> is handled by transposing it last.
    /// </summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1) =>
        RowWise(x, dim, "LogSoftmax",
            (xr, yr) => SoftmaxKernel.LogSoftmaxRow(xr, yr, FastExp.Prefer512),
            (yr, dy, dx) => SoftmaxKernel.LogSoftmaxBackwardRow(yr, dy, dx, FastExp.Prefer512),
            forwardCost: 4, backwardCost: 4);
}
