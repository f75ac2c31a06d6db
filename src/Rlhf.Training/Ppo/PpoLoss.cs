using Rlhf.Tensors;

namespace Rlhf.Training.Ppo;

/// <summary>
/// PPO's two losses over a minibatch of response tokens (B, L), averaged over the real tokens (<c>mask</c> 1):
/// the clipped surrogate of the policy and the clipped value loss of the critic.
/// </summary>
public static class PpoLoss
{
    /// <summary>
    /// Clipped surrogate objective (Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7), as a loss:
    /// <code>
    /// ρ_t = exp(log π_θ(a_t|s_t) − log π_old(a_t|s_t))
    /// L   = mean_t max(−Â_t·ρ_t, −Â_t·clip(ρ_t, 1 − ε, 1 + ε))
    /// </code>
    /// ∂L/∂log π_t = −Â_t·ρ_t / N where the unclipped term is the larger (or they tie), else 0: a ratio already moved
    /// past 1 ± ε in the advantage's direction gets no further push. Also returns the clip fraction (tokens where the
    /// clipped term is strictly larger) and approx-KL ½·mean (log π_θ − log π_old)² (TRL's <c>approxkl</c>).
    /// </summary>
    /// <param name="logProbs">(B, L) log π_θ with gradient.</param>
    /// <param name="oldLogProbs">(B·L) log π_old of the rollout.</param>
    /// <param name="advantages">(B·L) Â (whitened or not).</param>
    /// <param name="mask">(B·L) 1 on real response tokens.</param>
    /// <param name="clip">ε.</param>
    public static PolicyLossOutput Policy(Tensor logProbs, float[] oldLogProbs, float[] advantages, float[] mask, float clip)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        int[] shape = logProbs.ShapeArray();
        var old = Tensor.FromArray(oldLogProbs, shape);
        var adv = Tensor.FromArray(advantages, shape);
        var m = Tensor.FromArray(mask, shape);
        var ratio = Ops.Exp(logProbs - old);                                  // (B, L)
        var unclipped = -(adv * ratio);                                       // (B, L)
        var clipped = -(adv * Ops.Clamp(ratio, 1f - clip, 1f + clip));       // (B, L)
        var loss = Ops.MaskedMean(Ops.Maximum(unclipped, clipped), m);        // scalar

        var lp = logProbs.ToArray();
        ReadOnlySpan<float> u = unclipped.Span, c = clipped.Span;
        double n = 0, clippedCount = 0, kl = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            n++;
            if (c[i] > u[i]) clippedCount++;
            double d = lp[i] - oldLogProbs[i];
            kl += 0.5 * d * d;
        }
        return new PolicyLossOutput(loss, n > 0 ? clippedCount / n : 0, n > 0 ? kl / n : 0);
    }

    /// <summary>
    /// Clipped value loss (Ziegler et al. 2019 / lm-human-preferences; OpenAI baselines ppo2):
    /// <code>
    /// V_clip = V_old + clip(V_θ − V_old, −ε_v, ε_v)
    /// L_V    = ½ · mean_t max((V_θ − R_t)², (V_clip − R_t)²)
    /// </code>
    /// ∂L_V/∂V_t = (V_t − R_t)/N where the unclipped error is the larger (or they tie), else 0. Also returns the fraction
    /// of tokens where the clipped error is strictly larger.
    /// </summary>
    /// <param name="values">(B, L) V_θ with gradient.</param>
    /// <param name="oldValues">(B·L) V_old of the rollout.</param>
    /// <param name="returns">(B·L) targets R (GAE returns).</param>
    /// <param name="mask">(B·L) 1 on real response tokens.</param>
    /// <param name="clip">ε_v.</param>
    public static ValueLossOutput Value(Tensor values, float[] oldValues, float[] returns, float[] mask, float clip)
    {
        ArgumentNullException.ThrowIfNull(values);
        int[] shape = values.ShapeArray();
        var old = Tensor.FromArray(oldValues, shape);
        var target = Tensor.FromArray(returns, shape);
        var m = Tensor.FromArray(mask, shape);
        var clippedValues = old + Ops.Clamp(values - old, -clip, clip);      // (B, L)
        var e1 = values - target;
        var e2 = clippedValues - target;
        var sq1 = e1 * e1;                                                    // (B, L)
        var sq2 = e2 * e2;                                                    // (B, L)
        var loss = 0.5f * Ops.MaskedMean(Ops.Maximum(sq1, sq2), m);          // scalar

        ReadOnlySpan<float> a = sq1.Span, b = sq2.Span;
        double n = 0, clippedCount = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0) continue;
            n++;
            if (b[i] > a[i]) clippedCount++;
        }
        return new ValueLossOutput(loss, n > 0 ? clippedCount / n : 0);
    }
}
