namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = (1/N)·Σᵢ xᵢ over all N elements, a rank-0 tensor (NaN for an empty tensor, as 0/0). Summed in double
    /// (see <see cref="Sum(Tensor)"/>). Backward: dx += g / N.
    /// </summary>
    public static Tensor Mean(Tensor x) => SumCore("Mean", x, null, false, mean: true);

    /// <summary>
    /// y = (1/n)·Σₖ x[..., k, ...] along <paramref name="dim"/> of size n (removed, or kept as size 1 with
    /// <paramref name="keepDim"/>). Backward: dx[..., k, ...] += g[...] / n.
    /// </summary>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => SumCore("Mean", x, dim, keepDim, mean: true);
}
