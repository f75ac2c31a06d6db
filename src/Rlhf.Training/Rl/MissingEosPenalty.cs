using Rlhf.Training.Scoring;

namespace Rlhf.Training.Rl;

/// <summary>
/// Penalty for unfinished responses: a response cut at the length cap (<c>--max-new-tokens</c>) without
/// end-of-text gets its reward lowered by a fixed amount, so the policy is not paid for rambling past the cap
/// (TRL's <c>missing_eos_penalty</c>, which subtracts; lm-human-preferences' <c>truncate_token</c> +
/// <c>penalty_reward_value</c> replaced the reward instead). Off by default (null). A non-finite reward stays as it
/// is (the sample is dropped anyway). <see cref="TruncatedFraction"/> is logged as <c>truncated_frac</c> either way.
/// </summary>
public static class MissingEosPenalty
{
    /// <summary>Metric name of the fraction of responses cut at the length cap.</summary>
    public const string MetricName = "truncated_frac";

    /// <summary>
    /// <paramref name="outcomes"/> with <paramref name="penalty"/> subtracted from the reward of every sample of
    /// <paramref name="samples"/> that did not finish (a note says so); unchanged when <paramref name="penalty"/> is null or 0.
    /// </summary>
    public static RewardOutcome[] Apply(IReadOnlyList<RolloutSample> samples, IReadOnlyList<RewardOutcome> outcomes, float? penalty)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(outcomes);
        if (samples.Count != outcomes.Count) throw new ArgumentException($"MissingEosPenalty: {outcomes.Count} outcomes for {samples.Count} samples");
        var result = outcomes.ToArray();
        if (penalty is not float p || p == 0) return result;
        for (int i = 0; i < result.Length; i++)
            if (!samples[i].Finished && float.IsFinite(result[i].Reward))
                result[i] = result[i] with { Reward = result[i].Reward - p, Note = result[i].Note ?? $"no end-of-text: −{p:G3}" };
        return result;
    }

    /// <summary>Fraction of <paramref name="samples"/> cut at the length cap without end-of-text (NaN for none).</summary>
    public static double TruncatedFraction(IReadOnlyCollection<RolloutSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return samples.Count == 0 ? double.NaN : samples.Count(s => !s.Finished) / (double)samples.Count;
    }
}
