using Rlhf.Training.Common;

namespace Rlhf.Training.Sft;

/// <summary>
/// Settings of a supervised fine-tuning run (<see cref="SftTrainer"/>). Defaults follow common SFT practice rather
/// than pretraining: lr 1e-4 decaying to 1e-5, no weight decay, 10 warmup steps, one epoch
/// (<see cref="TrainerConfig.MaxSteps"/> 0 = <see cref="Epochs"/> epochs; a positive MaxSteps wins), evaluation every
/// 50 steps. <see cref="TrainerConfig.ValFraction"/> is the fraction of examples held out (a seeded random choice)
/// when no separate validation set is given; <see cref="TrainerConfig.SeqLen"/> caps prompt + response tokens.
/// </summary>
public sealed record SftConfig : TrainerConfig
{
    /// <summary>SFT defaults (see the type).</summary>
    public SftConfig()
    {
        MaxSteps = 0;
        LearningRate = 1e-4f;
        WarmupSteps = 10;
        WeightDecay = 0f;
        EvalInterval = 50;
        CheckpointInterval = 200;
    }

    /// <summary>
    /// Conversational (<c>messages</c>) examples: the loss covers only the assistant messages' tokens and their
    /// end-of-turn (true, the default), or every token after the first (false). Prompt/response examples always train
    /// on the response only.
    /// </summary>
    public bool AssistantOnlyLoss { get; init; } = true;

    /// <summary>Passes over the training examples when <see cref="TrainerConfig.MaxSteps"/> is 0.</summary>
    public int Epochs { get; init; } = 1;

    /// <inheritdoc/>
    protected override void AddProblems(List<ConfigProblem> problems)
    {
        Check(problems, Epochs >= 1, nameof(Epochs), $"epochs {Epochs} must be ≥ 1");
        base.AddProblems(problems);
    }

    /// <inheritdoc/>
    protected override TrainerConfig ResumeInvariant() => (SftConfig)base.ResumeInvariant() with { Epochs = 0, ValData = null };

    /// <summary>Held-out examples file for the validation loss (null: <see cref="TrainerConfig.ValFraction"/> of the data is held out).</summary>
    public string? ValData { get; init; }
}
