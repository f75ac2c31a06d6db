using Rlhf.Training.Rl;

namespace Rlhf.Training.Ppo;

/// <summary>
/// The per-token reward PPO maximises (Ziegler et al. 2019, eq. 2; Ouyang et al. 2022, eq. 2): a KL penalty on every
/// response token and the reward model's score on the last one,
/// <code>
/// r_t = −β·k1_t + [t = last]·clip(score, ±c),   k1_t = log π_old(a_t|s_t) − log π_ref(a_t|s_t)
/// </code>
/// so that Σ_t r_t = score − β·KL̂(π ‖ π_ref) for the sequence. The row's sequence KL estimates are returned too:
/// Σ k1 (unbiased, can be negative) and Σ k3 (unbiased, ≥ 0; <see cref="KlEstimator"/>).
/// </summary>
public static class TokenRewards
{
    /// <summary>Per-token rewards (B·L) and each row's Σ k1 and Σ k3.</summary>
    /// <param name="logProbs">(B·L) log π_old of the sampled tokens.</param>
    /// <param name="refLogProbs">(B·L) log π_ref of the same tokens.</param>
    /// <param name="lengths">Real tokens per row.</param>
    /// <param name="responseLength">L.</param>
    /// <param name="scores">Reward-model score per row.</param>
    /// <param name="beta">KL coefficient β.</param>
    /// <param name="clip">Score clip c (null = none).</param>
    public static (float[] Rewards, double[] Kl, double[] KlK3) Compute(ReadOnlySpan<float> logProbs, ReadOnlySpan<float> refLogProbs,
        ReadOnlySpan<int> lengths, int responseLength, ReadOnlySpan<float> scores, double beta, float? clip)
    {
        int B = lengths.Length, L = responseLength;
        if (logProbs.Length != B * L || refLogProbs.Length != B * L || scores.Length != B)
            throw new ArgumentException($"TokenRewards: expected {B}·{L} log-probs and {B} scores");
        var rewards = new float[B * L];
        var kl = new double[B];
        var k3 = new double[B];
        for (int b = 0; b < B; b++)
        {
            int o = b * L;
            for (int t = 0; t < lengths[b]; t++)
            {
                double k1 = KlEstimator.K1(logProbs[o + t], refLogProbs[o + t]);
                kl[b] += k1;
                k3[b] += KlEstimator.K3(logProbs[o + t], refLogProbs[o + t]);
                rewards[o + t] = (float)(-beta * k1);
            }
            if (lengths[b] > 0)
            {
                float score = clip is float c ? Math.Clamp(scores[b], -c, c) : scores[b];
                rewards[o + lengths[b] - 1] += score;
            }
        }
        return (rewards, kl, k3);
    }
}
