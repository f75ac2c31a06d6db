namespace Rlhf.Training.Grpo;

/// <summary>
/// DAPO's token-level mean (Yu et al. 2025, eq. 8; TRL "dapo"): L = Σ_{i,t} ℓ_{i,t} / N with N the real tokens of the
/// whole batch, so long responses are not down-weighted. Weights 1 and scale 1/N (the same arithmetic as before the
/// aggregation became an option).
/// </summary>
public sealed class TokenMeanAggregation : ILossAggregation
{
    /// <inheritdoc/>
    public string Name => "token-mean";

    /// <inheritdoc/>
    public TokenWeights Weights(IReadOnlyList<int> lengths, int width, IReadOnlyList<int> groups) =>
        new(ILossAggregation.Mask(lengths, width, _ => 1f), 1f / Math.Max(1, lengths.Sum()));
}
