namespace Rlhf.Training.Grpo;

/// <summary>
/// Dr. GRPO's aggregation (Liu et al. 2025, "Understanding R1-Zero-like training"; TRL "dr_grpo"): the token sum divided
/// by a constant, the number of responses × the generation budget <c>--max-new-tokens</c>,
/// L = Σ_{i,t} ℓ_{i,t} / (B · T_max), so neither a response's length nor the batch's token count rescales its gradient.
/// </summary>
public sealed class ConstantAggregation(int maxNewTokens) : ILossAggregation
{
    private readonly int _maxNewTokens = maxNewTokens >= 1 ? maxNewTokens : throw new ArgumentOutOfRangeException(nameof(maxNewTokens));

    /// <inheritdoc/>
    public string Name => "constant";

    /// <inheritdoc/>
    public TokenWeights Weights(IReadOnlyList<int> lengths, int width, IReadOnlyList<int> groups) =>
        new(ILossAggregation.Mask(lengths, width, _ => 1f), 1f / (Math.Max(1, lengths.Count) * (float)_maxNewTokens));
}
