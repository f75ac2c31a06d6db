using Rlhf.Training.Common;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.Dpo;

/// <summary>
/// Settings of a DPO/IPO run (<see cref="DpoTrainer"/>). <see cref="TrainerConfig.BatchSize"/> counts preference
/// pairs per step (each pair is two sequences); <see cref="TrainerConfig.MaxSteps"/> 0 means <see cref="Epochs"/>
/// passes over the training pairs; <see cref="TrainerConfig.ValFraction"/> is the fraction of prompts held out
/// (split by prompt, <c>PreferenceData.Split</c>); <see cref="TrainerConfig.SeqLen"/> caps prompt + response tokens
/// of a pair (longer pairs are skipped and counted, never cut). Defaults: β 0.1 (TRL, OpenRLHF, DS-Chat), lr 1e-5 →
/// 1e-6 (TRL uses 1e-6 for billion-parameter models; small models need more), 10 warmup steps, no weight decay,
/// 8 pairs per step, eval every 50 steps.
/// </summary>
public sealed record DpoConfig : TrainerConfig
{
    /// <summary>DPO defaults (see the type).</summary>
    public DpoConfig()
    {
        MaxSteps = 0;
        LearningRate = 1e-5f;
        WarmupSteps = 10;
        WeightDecay = 0f;
        EvalInterval = 50;
        EvalBatches = 8;
        CheckpointInterval = 200;
        ValFraction = 0.1;
    }

    /// <summary>Passes over the training pairs when <see cref="TrainerConfig.MaxSteps"/> is 0.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>β of the implicit reward β·log(π/π_ref) (τ for IPO).</summary>
    public float Beta { get; init; } = 0.1f;

    /// <summary>Which loss: <see cref="DpoLoss.LossName"/> (<c>sigmoid</c>) or <see cref="IpoLoss.LossName"/> (<c>ipo</c>).</summary>
    public string Loss { get; init; } = DpoLoss.LossName;

    /// <summary>Label smoothing ε of <see cref="DpoLoss"/> (cDPO); 0 = plain DPO. Only for the sigmoid loss.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>The reference model π_ref; null = the model the policy starts from (<see cref="TrainerConfig.InitCheckpoint"/>, or the fresh model).</summary>
    public string? ReferenceCheckpoint { get; init; }

    /// <summary>Held-out prompts sampled from the policy (one response each) at every evaluation for KL(π ‖ π_ref) and, when a gold scorer is set, gold reward; 0 = none.</summary>
    public int KlPrompts { get; init; } = 16;

    /// <summary>Most new tokens per KL sample (also capped by the context).</summary>
    public int KlMaxNewTokens { get; init; } = 48;

    /// <summary>The loss the run minimises.</summary>
    public IPreferenceLoss CreateLoss() => Loss switch
    {
        DpoLoss.LossName => new DpoLoss(Beta, LabelSmoothing),
        IpoLoss.LossName => new IpoLoss(Beta),
        _ => throw new TrainingException($"unknown loss '{Loss}' (expected '{DpoLoss.LossName}' or '{IpoLoss.LossName}')"),
    };

    /// <inheritdoc/>
    protected override void AddProblems(List<ConfigProblem> problems)
    {
        void Check(bool ok, string field, string message) => TrainerConfig.Check(problems, ok, field, message);
        Check(Epochs >= 1, nameof(Epochs), $"epochs {Epochs} must be ≥ 1");
        Check(Beta > 0 && float.IsFinite(Beta), nameof(Beta), $"beta {Beta} must be positive");
        Check(Loss is DpoLoss.LossName or IpoLoss.LossName, nameof(Loss), $"loss '{Loss}' must be '{DpoLoss.LossName}' or '{IpoLoss.LossName}'");
        Check(LabelSmoothing >= 0 && LabelSmoothing < 0.5f, nameof(LabelSmoothing), $"label smoothing {LabelSmoothing} must be in [0, 0.5)");
        Check(LabelSmoothing == 0 || Loss == DpoLoss.LossName, nameof(LabelSmoothing), $"label smoothing applies to the '{DpoLoss.LossName}' loss only");
        Check(KlPrompts >= 0, nameof(KlPrompts), $"KL prompts {KlPrompts} must be ≥ 0");
        Check(KlMaxNewTokens >= 1, nameof(KlMaxNewTokens), $"KL max new tokens {KlMaxNewTokens} must be ≥ 1");
        base.AddProblems(problems);
    }

    /// <inheritdoc/>
    protected override TrainerConfig ResumeInvariant() =>
        (DpoConfig)base.ResumeInvariant() with { Epochs = 0, ReferenceCheckpoint = null, KlPrompts = 0, KlMaxNewTokens = 1, Gold = null };

    /// <summary>Gold scorer spec for the evaluation samples' <c>gold_reward</c> (<c>lexicon</c> or <c>rm:&lt;dir&gt;</c>); null: none. Measured only.</summary>
    public string? Gold { get; init; }
}
