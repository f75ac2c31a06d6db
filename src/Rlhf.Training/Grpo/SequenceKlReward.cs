using Rlhf.Training.Rl;

namespace Rlhf.Training.Grpo;

/// <summary>
/// RLOO's KL penalty (Ahmadian et al. 2024, §3 and eq. 6; TRL RLOOTrainer): the sequence-level k1 estimate
/// KL_i = Σ_t (log π_old(o_{i,t}) − log π_ref(o_{i,t})) is subtracted from the reward before the leave-one-out
/// baseline, r'_i = r_i − β·KL_i, instead of a per-token k3 term in the loss (GRPO's way).
/// </summary>
public static class SequenceKlReward
{
    /// <summary>
    /// r − β·KL per response; <paramref name="samples"/>' sampling log-probs against <paramref name="refLogProbs"/>
    /// (B·<paramref name="width"/>, the same row order), over each response's tokens.
    /// </summary>
    public static double[] Subtract(IReadOnlyList<double> rewards, IReadOnlyList<RolloutSample> samples, float[] refLogProbs, int width, float beta)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(refLogProbs);
        if (rewards.Count != samples.Count || refLogProbs.Length != samples.Count * width)
            throw new ArgumentException($"SequenceKlReward: {rewards.Count} rewards, {samples.Count} samples and {refLogProbs.Length} reference log-probs (width {width}) disagree");
        var shaped = new double[rewards.Count];
        for (int i = 0; i < shaped.Length; i++)
        {
            double kl = 0;
            var old = samples[i].OldLogProbs;
            for (int t = 0; t < old.Length; t++) kl += old[t] - refLogProbs[i * width + t];
            shaped[i] = rewards[i] - beta * kl;
        }
        return shaped;
    }
}
