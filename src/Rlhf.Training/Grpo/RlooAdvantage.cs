namespace Rlhf.Training.Grpo;

/// <summary>
/// REINFORCE leave-one-out baseline (Kool et al. 2019; Ahmadian et al. 2024, "Back to Basics: Revisiting
/// REINFORCE-style optimization for learning from human feedback", eq. 6): each sample's baseline is the mean reward
/// of the OTHER k − 1 samples of its prompt, Â_i = r_i − (Σ_{j≠i} r_j)/(k − 1) = k/(k − 1)·(r_i − mean(r)). The
/// baseline does not depend on r_i, so the estimate stays unbiased; no std scaling.
/// </summary>
public sealed class RlooAdvantage : IAdvantageEstimator
{
    /// <inheritdoc/>
    public string Name => "rloo";

    /// <inheritdoc/>
    public double[] Compute(IReadOnlyList<double> rewards, IReadOnlyList<int> groups)
    {
        var stats = GroupStats.Of(rewards, groups);
        var advantages = new double[rewards.Count];
        for (int i = 0; i < advantages.Length; i++)
        {
            var (k, mean, _) = stats[i];
            if (k < 2) continue;
            double others = (mean * k - rewards[i]) / (k - 1);
            advantages[i] = rewards[i] - others;
        }
        return advantages;
    }
}
