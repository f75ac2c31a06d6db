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
    public static Tensor Softmax(Tensor x, int dim = -1) =>
        RowWise(x, dim, "Softmax",
            (xr, yr) => SoftmaxKernel.SoftmaxRow(xr, yr, FastExp.Prefer512),
            (yr, dy, dx) => SoftmaxKernel.SoftmaxBackwardRow(yr, dy, dx),
            forwardCost: 4, backwardCost: 3);
}
