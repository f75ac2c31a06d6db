namespace Rlhf.Training.Grpo;

/// <summary>
/// GRPO's outcome-supervision advantage (Shao et al. 2024, DeepSeekMath, §4.1.2): Â_i = (r_i − mean(r)) / (std(r) + ε)
/// over the G responses to one prompt, std unbiased as in TRL (torch.std) and ε = 1e-4 (TRL). With
/// <c>scaleByStd: false</c> only the mean is removed — Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-like
/// training"), which argues the std division over-weights groups that are nearly all right or all wrong. A group whose
/// rewards are all equal gets advantage 0 (it carries no signal about which response is better).
/// </summary>
/// <param name="scaleByStd">Divide by the group's std.</param>
public sealed class GroupNormalizedAdvantage(bool scaleByStd = true) : IAdvantageEstimator
{
    /// <summary>ε added to the std (TRL's 1e-4).</summary>
    public const double Epsilon = 1e-4;

    /// <inheritdoc/>
    public string Name => scaleByStd ? "group (r − mean)/std" : "group r − mean";

    /// <inheritdoc/>
    public double[] Compute(IReadOnlyList<double> rewards, IReadOnlyList<int> groups)
    {
        var stats = GroupStats.Of(rewards, groups);
        var advantages = new double[rewards.Count];
        for (int i = 0; i < advantages.Length; i++)
        {
            var (n, mean, std) = stats[i];
            if (n < 2) continue;
            double centred = rewards[i] - mean;
            advantages[i] = scaleByStd ? centred / (std + Epsilon) : centred;
        }
        return advantages;
    }
}
