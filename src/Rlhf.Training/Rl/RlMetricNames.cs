namespace Rlhf.Training.Rl;

/// <summary>
/// The metric keys RL trainers write to <c>metrics.jsonl</c> each iteration and the run guard reads — one spelling
/// for all of them (PPO, GRPO/RLOO, online DPO), so monitors and plots work on any run.
/// </summary>
public static class RlMetricNames
{
    /// <summary>Mean reward of the trained-against reward (the learned RM: the proxy).</summary>
    public const string ProxyReward = "proxy_reward";
    /// <summary>Mean gold reward of the same samples, when a gold scorer is configured.</summary>
    public const string GoldReward = "gold_reward";
    /// <summary>Mean reward of a held-out reward model not trained against, when configured.</summary>
    public const string HeldOutReward = "heldout_reward";
    /// <summary>Mean ensemble disagreement (std over reward model members).</summary>
    public const string EnsembleStd = "ensemble_std";
    /// <summary>Mean per-sequence KL(π ‖ π_ref) (k1 summed over response tokens).</summary>
    public const string Kl = "kl";
    /// <summary>Mean per-token entropy of the policy on its samples.</summary>
    public const string Entropy = "entropy";
    /// <summary>Mean response length in tokens.</summary>
    public const string ResponseLength = "response_length";
    /// <summary>Fraction of response tokens that repeat an n-gram already in the same response.</summary>
    public const string RepetitionRate = "repetition_rate";
    /// <summary>Held-out exact-match accuracy (verifiable tasks).</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Fraction of sampled responses in which a verifiable checker found an answer at all (right or wrong): the format is learnt.</summary>
    public const string FormatRate = "format_rate";
}
