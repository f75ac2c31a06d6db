namespace Rlhf.Training.Grpo;

/// <summary>Which <see cref="IAdvantageEstimator"/> a run uses (stored in the run's config).</summary>
public enum AdvantageKind
{
    /// <summary><see cref="GroupNormalizedAdvantage"/> (GRPO).</summary>
    Group,
    /// <summary><see cref="RlooAdvantage"/> (RLOO).</summary>
    Rloo,
}
