using Rlhf.Tensors;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Grpo;

/// <summary>Diagnostics of one <see cref="GrpoLoss"/> evaluation (sums over the chunk's real tokens, to be totalled across chunks).</summary>
/// <param name="Tokens">Real response tokens in the chunk.</param>
/// <param name="ClippedTokens">Tokens whose clipped term was the smaller one (no gradient through them).</param>
/// <param name="KlSum">Σ k3 over the chunk's tokens (0 without a reference).</param>
public readonly record struct GrpoLossStats(int Tokens, int ClippedTokens, double KlSum);

/// <summary>
/// The clipped surrogate of GRPO with token-level aggregation (Shao et al. 2024, DeepSeekMath eq. 3; aggregation as
/// Yu et al. 2025, DAPO eq. 8):
/// <code>
/// ρ_{i,t} = π_θ(o_{i,t}) / π_old(o_{i,t})
/// ℓ_{i,t} = −min(ρ_{i,t}·Â_i, clip(ρ_{i,t}, 1 − ε_low, 1 + ε_high)·Â_i) + β·k3_{i,t}
/// L = Σ_{i,t} ℓ_{i,t} / N,   N = real response tokens of the WHOLE batch
/// </code>
/// with k3 = π_ref/π_θ − log(π_ref/π_θ) − 1 (Schulman's estimator, DeepSeekMath eq. 4). Dividing by the batch's
/// token count (not per sequence, then per group, as DeepSeekMath's 1/|o_i|) weights every token equally, so long
/// responses are not down-weighted (DAPO §3.3; TRL loss_type "dapo"). Because N is the whole batch's count, summing
/// this loss over row chunks gives exactly the full-batch gradient. Gradient: through the unclipped term only where it
/// is the minimum (ties go to it), ∂ρ/∂logπ = ρ.
/// </summary>
public static class GrpoLoss
{
    /// <summary>
    /// The loss of one chunk. <paramref name="logProbs"/> (B, L) with grad; <paramref name="oldLogProbs"/>,
    /// <paramref name="refLogProbs"/> (B·L, null when β = 0) and <paramref name="mask"/> (B·L, 1 = real token) are
    /// constants; <paramref name="advantages"/> has one value per row; <paramref name="batchTokens"/> is N.
    /// </summary>
    public static (Tensor Loss, GrpoLossStats Stats) Compute(Tensor logProbs, float[] oldLogProbs, float[]? refLogProbs, float[] advantages,
        float[] mask, int batchTokens, float epsLow, float epsHigh, float beta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchTokens, 1);
        return Compute(logProbs, oldLogProbs, refLogProbs, advantages, mask, mask, 1f / batchTokens, epsLow, epsHigh, beta);
    }

    /// <summary>
    /// As above with another aggregation (<see cref="ILossAggregation"/>): the chunk's loss is
    /// <paramref name="scale"/>·Σ_{i,t} <paramref name="tokenWeights"/>_{i,t}·ℓ_{i,t} (B·L weights, 0 on padding) instead of
    /// Σ ℓ / N. Token-mean is weights = mask, scale = 1/N.
    /// </summary>
    public static (Tensor Loss, GrpoLossStats Stats) Compute(Tensor logProbs, float[] oldLogProbs, float[]? refLogProbs, float[] advantages,
        float[] mask, float[] tokenWeights, float scale, float epsLow, float epsHigh, float beta)
    {
        ArgumentNullException.ThrowIfNull(tokenWeights);
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(oldLogProbs);
        ArgumentNullException.ThrowIfNull(advantages);
        ArgumentNullException.ThrowIfNull(mask);
        int B = logProbs.Shape[0], L = logProbs.Shape[1]; // (B, L)
        if (oldLogProbs.Length != B * L || mask.Length != B * L || advantages.Length != B || (refLogProbs is not null && refLogProbs.Length != B * L))
            throw new ArgumentException($"GrpoLoss: shapes disagree with log-probs ({B}, {L})");
        if (beta > 0 && refLogProbs is null) throw new ArgumentException("GrpoLoss: β > 0 needs reference log-probs");
        if (tokenWeights.Length != B * L) throw new ArgumentException($"GrpoLoss: {tokenWeights.Length} token weights for log-probs ({B}, {L})");

        // 1. ratio ρ = exp(log π_θ − log π_old) per token                                    (B, L)
        var ratio = Ops.Exp(logProbs - Tensor.FromArray(oldLogProbs, B, L));
        // 2. both surrogate terms with the row's advantage broadcast over its tokens           (B, L)
        var adv = Tensor.FromArray(advantages, B, 1);
        var unclipped = ratio * adv;
        var clipped = Ops.Clamp(ratio, 1f - epsLow, 1f + epsHigh) * adv;
        // 3. pessimistic minimum, negated: gradient ascent on the surrogate                    (B, L)
        var perToken = -Ops.Minimum(unclipped, clipped);
        // 4. optional KL penalty β·k3 to the reference policy (DeepSeekMath eq. 4)            (B, L)
        double klSum = 0;
        if (refLogProbs is not null)
        {
            var k3 = KlEstimator.K3(logProbs, Tensor.FromArray(refLogProbs, B, L));
            var k3Values = k3.ToArray();
            for (int i = 0; i < k3Values.Length; i++) klSum += mask[i] * k3Values[i];
            if (beta > 0) perToken = perToken + beta * k3;
        }
        // 5. weighted sum over real tokens (DAPO: weight 1, scale 1/N with N the whole batch's token count)
        var loss = Ops.MaskedSum(perToken, Tensor.FromArray(tokenWeights, B, L)) * scale;

        var u = unclipped.ToArray();
        var c = clipped.ToArray();
        int tokens = 0, clippedTokens = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            tokens++;
            if (c[i] < u[i]) clippedTokens++;
        }
        return (loss, new GrpoLossStats(tokens, clippedTokens, klSum));
    }
}
