using Rlhf.Training.Common;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.RewardModeling;

/// <summary>
/// Settings of a reward-model run (<see cref="RewardTrainer"/>). <see cref="TrainerConfig.BatchSize"/> counts prompts
/// (G; every completion of a prompt is scored in the same forward pass); <see cref="TrainerConfig.MaxSteps"/> 0 means
/// <see cref="Epochs"/> passes over the training prompts (InstructGPT trains one epoch: more overfits);
/// <see cref="TrainerConfig.ValFraction"/> is the fraction of prompts held out for evaluation (split by prompt,
/// <c>PreferenceData.Split</c>). Defaults: lr 5e-5 → 5e-6, 10 warmup steps, no weight decay, eval every 50 steps.
/// </summary>
public sealed record RewardConfig : TrainerConfig
{
    /// <summary>Reward-model defaults (see the type).</summary>
    public RewardConfig()
    {
        MaxSteps = 0;
        LearningRate = 5e-5f;
        WarmupSteps = 10;
        WeightDecay = 0f;
        EvalInterval = 50;
        CheckpointInterval = 0;
        ValFraction = 0.1;
    }

    /// <summary>Passes over the training prompts when <see cref="TrainerConfig.MaxSteps"/> is 0.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Required score gap m in −log σ(r_b − r_w − m) for every pair (Llama 2's margin; 0 = plain Bradley–Terry).</summary>
    public float Margin { get; init; }

    /// <summary>
    /// Weight c of the reward-centering term c·(1/G)·Σ_pairs w·(r_better + r_worse)² added to the loss
    /// (<see cref="CenteringPenalty"/>; Eisenstein et al. 2023, TRL's center_rewards_coefficient: pulls each prompt's
    /// scores towards zero sum, which the ranking loss alone leaves free); 0 = off, the CLI's <c>--center</c> sets 0.01.
    /// </summary>
    public float CenterCoefficient { get; init; }

    /// <summary>Reference-policy samples file (JSONL prompt/response) the scores are normalised on; null: the held-out completions.</summary>
    public string? Reference { get; init; }

    /// <summary>
    /// The gold scorer the labels were made from (a <c>--gold</c> spec such as <c>lexicon</c>), when known: evaluation
    /// then also logs the labelers' ceilings on the evaluated held-out pairs (<see cref="RewardTrainer.CeilingGold"/>).
    /// Saved with the run, so a resumed run logs the same columns. Null: no ceilings.
    /// </summary>
    public string? CeilingGold { get; init; }

    /// <summary>The labelers' length bias for the utility ceiling (<c>--labeler-length-bias</c>).</summary>
    public double CeilingLengthBias { get; init; }

    /// <inheritdoc/>
    protected override void AddProblems(List<ConfigProblem> problems)
    {
        void Check(bool ok, string field, string message) => TrainerConfig.Check(problems, ok, field, message);
        Check(Epochs >= 1, nameof(Epochs), $"epochs {Epochs} must be ≥ 1");
        Check(Margin >= 0 && float.IsFinite(Margin), nameof(Margin), $"margin {Margin} must be ≥ 0");
        Check(CenterCoefficient >= 0 && float.IsFinite(CenterCoefficient), nameof(CenterCoefficient), $"centering coefficient {CenterCoefficient} must be ≥ 0");
        Check(InitCheckpoint is not null, nameof(InitCheckpoint), "an init checkpoint (base or SFT model) is required: the reward model's trunk starts from it");
        base.AddProblems(problems);
    }

    /// <summary>Also the reference samples' file may move on resume.</summary>
    protected override TrainerConfig ResumeInvariant() => (RewardConfig)base.ResumeInvariant() with { Reference = null };
}
