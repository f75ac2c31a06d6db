using Rlhf.Data.Progress;

namespace Rlhf.Training.Common;

/// <summary>
/// What a training method gives <see cref="TrainingLoop"/>: its step, its evaluation and its checkpoint. Everything
/// else (when to evaluate or save, metrics, progress, stopping, the summary) is the loop's.
/// </summary>
public sealed class TrainingMethod
{
    /// <summary>The trainer's name in logs (<c>pretrain</c>, <c>ppo</c>).</summary>
    public required string Kind { get; init; }

    /// <summary>What one step is called in logs: <c>step</c>, or <c>iteration</c> for the RL methods.</summary>
    public string StepName { get; init; } = "step";

    /// <summary>
    /// Runs step <c>s</c> (0-based; the loop counts it done afterwards) and appends its metrics in log order. The
    /// outcome's loss and throughput feed the progress display; a stop reason (the reward-hacking guard) ends the run
    /// after this step's checkpoint.
    /// </summary>
    public required Func<int, List<(string Name, double Value)>, ITrainingProgress, StepOutcome> Step { get; init; }

    /// <summary>
    /// Evaluates after <c>s</c> steps and appends the held-out metrics; returns a log line (or null). Null when the
    /// method has nothing to evaluate.
    /// </summary>
    public Func<int, List<(string Name, double Value)>, string?>? Evaluate { get; init; }

    /// <summary>Saves the full training state after <c>s</c> steps (with the stop reason, if any) and returns the checkpoint directory.</summary>
    public required Func<int, string?, string> Save { get; init; }

    /// <summary>Work after the last step (or a stop) and before the final save, e.g. the reward model's normalisation; its argument is "stopped".</summary>
    public Action<bool>? Finish { get; init; }

    /// <summary>True when the final checkpoint must be written after <see cref="Finish"/> (it changes the saved state).</summary>
    public bool SaveAfterFinish { get; init; }

    /// <summary>The summary after the loop's "done: N steps" head, e.g. <c>; best val loss 2.1 (step 900); checkpoint in out/checkpoint</c>.</summary>
    public Func<LoopResult, string>? Summary { get; init; }
}
