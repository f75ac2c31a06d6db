namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = Σᵢ xᵢ·mᵢ / Σᵢ mᵢ over all elements (rank 0): the mean over the unmasked positions (e.g. a per-token RL
    /// loss averaged over response tokens). When Σ m = 0 the result is defined as 0 with zero gradient (an empty
    /// batch contributes nothing, instead of NaN). Mask rules as <see cref="MaskedSum(Tensor, Tensor)"/>.
    /// Backward: dx += g·m / Σ m.
    /// </summary>
    public static Tensor MaskedMean(Tensor x, Tensor mask) => MaskedCore("MaskedMean", x, mask, null, false, mean: true);

    /// <summary>
    /// y[...] = Σₖ x[..., k, ...]·m[..., k, ...] / Σₖ m[..., k, ...] along <paramref name="dim"/> — e.g. per-sequence
    /// token means of a (B, T) loss with dim = 1 — and 0 (zero gradient) for slices whose mask sums to 0.
    /// Backward: dx[..., k, ...] += g[...]·m[..., k, ...] / Σₖ m.
    /// </summary>
    public static Tensor MaskedMean(Tensor x, Tensor mask, int dim, bool keepDim = false) =>
        MaskedCore("MaskedMean", x, mask, dim, keepDim, mean: true);
}
