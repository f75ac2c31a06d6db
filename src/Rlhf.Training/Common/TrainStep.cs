using Rlhf.Models;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Data;
using Rlhf.Training.Distributed;

namespace Rlhf.Training.Common;

/// <summary>What one optimizer step did.</summary>
/// <param name="Loss">Mean cross-entropy over the batch's counted targets (before the update).</param>
/// <param name="GradNorm">Global L2 norm of the gradients before clipping.</param>
/// <param name="LearningRate">Learning rate the update used.</param>
/// <param name="Skipped">True when the gradients were not finite and no update was made.</param>
public readonly record struct StepResult(double Loss, double GradNorm, float LearningRate, bool Skipped);

/// <summary>One next-token training step, shared by the trainers.</summary>
public static class TrainStep
{
    /// <summary>
    /// Forward → mean cross-entropy of the LM head over targets ≠ −100 (fused: the (B·T × V) logits and their
    /// gradient are never held whole, <see cref="ICausalLm.LanguageModelLoss"/>) → backward → clip the global gradient norm
    /// to <paramref name="gradClip"/> (0: no clipping) → AdamW update at <paramref name="learningRate"/> → drop the
    /// gradients. Non-finite gradients skip the update (the step still counts) rather than poison the weights.
    /// No attention mask is needed for right-padded rows: causal attention never lets a real position see the
    /// padding after it, and padded positions carry target −100.
    /// <para>
    /// Under <c>mpiexec</c> the batch is this rank's shard (<paramref name="batch"/> may be 0): its loss is the mean
    /// over its own n_r counted targets, so its gradient is weighted by n_r / Σ n (one small sum over the ranks) and
    /// the summed gradient and the returned loss are those of the global batch's token mean.
    /// </para>
    /// </summary>
    public static StepResult Run(ICausalLm model, IOptimizer optimizer, float learningRate, int[] inputs, int[] targets, int batch, int time, float gradClip)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (DataParallel.IsDistributed) return RunShard(model, optimizer, learningRate, inputs, targets, batch, time, gradClip);
        var loss = model.LanguageModelLoss(model.Forward(inputs, batch, time), targets); // scalar
        loss.Backward();
        var (norm, finite) = OptimizerStep.ClipAndUpdate(optimizer, learningRate, gradClip);
        return new StepResult(loss.Item(), norm, learningRate, !finite);
    }

    private static StepResult RunShard(ICausalLm model, IOptimizer optimizer, float learningRate, int[] inputs, int[] targets, int batch, int time, float gradClip)
    {
        int counted = 0;
        foreach (int target in targets) if (target != SftCollator.IgnoreIndex) counted++;
        double localLoss = 0;
        if (batch > 0 && counted > 0)
        {
            var loss = model.LanguageModelLoss(model.Forward(inputs, batch, time), targets); // scalar, mean over this shard
            loss.Backward();
            localLoss = loss.Item();
        }
        Span<double> sums = [counted, counted * localLoss]; // Σ n_r, Σ n_r·loss_r
        DataParallel.World.AllReduceSum(sums);
        DataParallel.LocalShare = sums[0] > 0 ? counted / sums[0] : 0;
        var (norm, finite) = OptimizerStep.ClipAndUpdate(optimizer, learningRate, gradClip);
        return new StepResult(sums[0] > 0 ? sums[1] / sums[0] : double.NaN, norm, learningRate, !finite);
    }
}
