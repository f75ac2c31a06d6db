using Rlhf.Models;

namespace Rlhf.Training.Common;

/// <summary>
/// The held-out loss of the language-model trainers (pretraining, SFT): the mean loss on fixed batches
/// (<see cref="Evaluator.MeanLoss"/>), the best so far and its step (saved in the checkpoint), and the log line.
/// </summary>
public sealed class HeldOutLoss(string kind, IReadOnlyList<(int[] Inputs, int[] Targets, int BatchSize, int SeqLen)> batches)
{
    /// <summary>The latest held-out loss (NaN before the first evaluation).</summary>
    public double Last { get; private set; } = double.NaN;

    /// <summary>Lowest held-out loss so far (NaN before the first evaluation); restored on resume.</summary>
    public double Best { get; set; } = double.NaN;

    /// <summary>Step of <see cref="Best"/> (−1 before the first evaluation); restored on resume.</summary>
    public int BestStep { get; set; } = -1;

    /// <summary>True when there is something to evaluate on.</summary>
    public bool Any => batches.Count > 0;

    /// <summary>Evaluates <paramref name="model"/> after <paramref name="step"/> steps, appends <c>val_loss</c> and returns the log line.</summary>
    public string Evaluate(ICausalLm model, int step, double trainLoss, List<(string Name, double Value)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Last = Evaluator.MeanLoss(model, batches);
        if (!(Last >= Best)) (Best, BestStep) = (Last, step); // also when Best is NaN (no evaluation yet)
        values.Add(("val_loss", Last));
        return step == 0 ? $"{kind}: step 0: val loss {Last:F4}"
            : $"{kind}: step {step}: train loss {trainLoss:F4}, val loss {Last:F4}{(BestStep == step ? " (best)" : "")}";
    }
}
