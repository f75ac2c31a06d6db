using Rlhf.Models.Generation;
using Rlhf.Training.Common;

namespace Rlhf.Training.Grpo;

/// <summary>
/// Settings of a GRPO / RLOO run (<see cref="GrpoTrainer"/>). One iteration = <see cref="TrainerConfig.BatchSize"/>
/// prompts × <see cref="Group"/> samples; <see cref="TrainerConfig.MaxSteps"/> counts iterations. Defaults follow TRL's
/// GRPOConfig (G = 8, ε = 0.2, β = 0 i.e. no KL term, loss over all tokens of the batch as DAPO, advantages scaled by
/// the group's std) except the learning rate, which is sized for small models (TRL: 1e-6 for billion-parameter ones).
/// <see cref="TrainerConfig.EvalInterval"/> is in iterations; evaluation is greedy exact match on all held-out prompts
/// (<see cref="TrainerConfig.EvalBatches"/> 0 turns it off). <see cref="TrainerConfig.ValFraction"/> and
/// <see cref="TrainerConfig.SeqLen"/> are unused: the prompt plus <see cref="MaxNewTokens"/> must fit the context.
/// </summary>
public sealed record GrpoConfig : TrainerConfig
{
    /// <summary>GRPO defaults (see the type).</summary>
    public GrpoConfig()
    {
        MaxSteps = 200;
        BatchSize = 16;
        LearningRate = 1e-5f;
        WarmupSteps = 0;
        WeightDecay = 0f;
        EvalInterval = 10;
        EvalBatches = 1;
        CheckpointInterval = 50;
    }

    /// <summary>Samples per prompt, G (TRL num_generations 8).</summary>
    public int Group { get; init; } = 8;

    /// <summary>How advantages are computed from a group's rewards.</summary>
    public AdvantageKind Advantage { get; init; } = AdvantageKind.Group;

    /// <summary>Divide by the group's reward std (GRPO); false = Dr. GRPO's mean-only centring (Liu et al. 2025).</summary>
    public bool ScaleByStd { get; init; } = true;

    /// <summary>Lower clip range ε: the ratio is clipped to [1 − ε, 1 + <see cref="ClipEpsilonHigh"/>].</summary>
    public float ClipEpsilon { get; init; } = 0.2f;

    /// <summary>Upper clip range; null = <see cref="ClipEpsilon"/> (DAPO's "clip-higher" uses 0.28).</summary>
    public float? ClipEpsilonHigh { get; init; }

    /// <summary>KL coefficient β of the k3 penalty to the reference policy (0: off, TRL's default).</summary>
    public float Beta { get; init; }

    /// <summary>Policy-update passes μ over each iteration's samples (one optimizer step each).</summary>
    public int UpdateEpochs { get; init; } = 1;

    /// <summary>Rows per forward/backward chunk; gradients of the chunks are summed into one step (memory only, not the maths).</summary>
    public int MiniBatchSize { get; init; } = 32;

    /// <summary>Sampling temperature of the rollouts (and of the recomputed log-probs).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Most tokens a response may have.</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>How the per-token losses are averaged (<see cref="LossAggregationKind"/>); token-mean (DAPO) by default.</summary>
    public LossAggregationKind LossAggregation { get; init; } = LossAggregationKind.TokenMean;

    /// <summary>Subtracted from the reward of a response cut at <see cref="MaxNewTokens"/> without end-of-text (<see cref="Rl.MissingEosPenalty"/>); null = off.</summary>
    public float? MissingEosPenalty { get; init; }

    /// <summary>The reward spec (<c>final-line</c>, <c>boxed</c>, <c>numeric</c>, <c>judge:…</c>; the CLI's <c>--reward</c>).</summary>
    public string Reward { get; init; } = "final-line";

    /// <summary>The held-out accuracy checker spec (null: the reward when it is a checker, else <c>numeric</c>).</summary>
    public string? Accuracy { get; init; }

    /// <summary>Absolute tolerance of the numeric checker.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Held-out prompts file for the accuracy metric (null: no evaluation).</summary>
    public string? EvalPrompts { get; init; }

    /// <summary>The rollout sampling settings.</summary>
    public GenerationConfig Generation() => new(MaxNewTokens, Temperature);

    /// <inheritdoc/>
    protected override string SettingsName => "GRPO";

    /// <inheritdoc/>
    protected override void AddProblems(List<ConfigProblem> problems)
    {
        void Check(bool ok, string field, string message) => TrainerConfig.Check(problems, ok, field, message);
        Check(Group >= 2, nameof(Group), $"group size {Group} must be ≥ 2 (advantages compare samples of one prompt)");
        Check(ClipEpsilon > 0 && ClipEpsilon < 1, nameof(ClipEpsilon), $"clip epsilon {ClipEpsilon} must be in (0, 1)");
        Check(ClipEpsilonHigh is null || ClipEpsilonHigh > 0, nameof(ClipEpsilonHigh), $"upper clip epsilon {ClipEpsilonHigh} must be > 0");
        Check(Beta >= 0 && float.IsFinite(Beta), nameof(Beta), $"KL coefficient {Beta} must be ≥ 0");
        Check(UpdateEpochs >= 1, nameof(UpdateEpochs), $"update epochs {UpdateEpochs} must be ≥ 1");
        Check(MiniBatchSize >= 1, nameof(MiniBatchSize), $"mini-batch size {MiniBatchSize} must be ≥ 1");
        Check(Temperature > 0 && float.IsFinite(Temperature), nameof(Temperature), $"temperature {Temperature} must be > 0");
        Check(MaxNewTokens >= 1, nameof(MaxNewTokens), $"max new tokens {MaxNewTokens} must be ≥ 1");
        Check(MissingEosPenalty is null || float.IsFinite(MissingEosPenalty.Value), nameof(MissingEosPenalty), $"missing end-of-text penalty {MissingEosPenalty} must be finite");
        Check(Tolerance >= 0 && double.IsFinite(Tolerance), nameof(Tolerance), $"numeric tolerance {Tolerance} must be ≥ 0");
        base.AddProblems(problems);
    }

    /// <summary>The loss aggregation these settings ask for.</summary>
    public ILossAggregation Aggregation() => ILossAggregation.For(LossAggregation, MaxNewTokens);

    /// <summary>
    /// True when the KL to the reference goes into the reward (RLOO with β &gt; 0: r − β·KL_seq before the leave-one-out
    /// baseline, Ahmadian et al. 2024) instead of a β·k3 term in the loss (GRPO).
    /// </summary>
    public bool KlInReward => Advantage == AdvantageKind.Rloo && Beta > 0;

    /// <summary>The advantage estimator these settings ask for.</summary>
    public IAdvantageEstimator Estimator() => Advantage == AdvantageKind.Rloo ? new RlooAdvantage() : new GroupNormalizedAdvantage(ScaleByStd);

    /// <summary>Also the held-out prompts file may move on resume.</summary>
    protected override TrainerConfig ResumeInvariant() => (GrpoConfig)base.ResumeInvariant() with { EvalPrompts = null };
}
