namespace Rlhf.Training.Grpo;

/// <summary>
/// DeepSeekMath's aggregation (Shao et al. 2024, eq. 3): each response's loss is the mean over its |o_i| tokens, a
/// group's loss the mean over its G_g responses, the batch's loss the mean over its P groups:
/// L = (1/P) Σ_g (1/G_g) Σ_{i∈g} (1/|o_i|) Σ_t ℓ_{i,t}, i.e. weight 1/(P·G_g·|o_i|) per token. Short responses weigh
/// more per token (the length bias Dr. GRPO removes). Groups may be uneven when samples were dropped.
/// </summary>
public sealed class SequenceMeanAggregation : ILossAggregation
{
    /// <inheritdoc/>
    public string Name => "sequence-mean";

    /// <inheritdoc/>
    public TokenWeights Weights(IReadOnlyList<int> lengths, int width, IReadOnlyList<int> groups)
    {
        var sizes = groups.GroupBy(g => g).ToDictionary(g => g.Key, g => g.Count());
        int prompts = sizes.Count;
        return new(ILossAggregation.Mask(lengths, width, i => lengths[i] == 0 ? 0f : (float)(1.0 / ((double)prompts * sizes[groups[i]] * lengths[i]))), 1f);
    }
}
