using Rlhf.Tensors.Optim;
using Rlhf.Training.Distributed;

namespace Rlhf.Training.Common;

/// <summary>
/// The end of every trainer's optimizer step, written once: clip the global gradient norm, update only when the
/// gradients are finite (non-finite ones skip the update instead of poisoning the weights; the step still counts),
/// drop the gradients. Under <c>mpiexec</c> the gradients are first summed over the ranks, each weighted by its share
/// of the global batch (<see cref="GradientAllReduce"/>, <see cref="DataParallel.LocalShare"/>), so the norm that is
/// clipped, and the update, are those of the global batch on every rank.
/// </summary>
public static class OptimizerStep
{
    /// <summary>
    /// Clips the gradients of <paramref name="optimizer"/>'s parameters to global L2 norm <paramref name="gradClip"/>
    /// (0: no clipping), then, when the norm is finite and <paramref name="update"/> is set, takes an optimizer step at
    /// <paramref name="learningRate"/>; always zeroes the gradients. Returns the norm before clipping and whether it
    /// was finite.
    /// </summary>
    public static (double Norm, bool Finite) ClipAndUpdate(IOptimizer optimizer, float learningRate, float gradClip, bool update = true)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (DataParallel.IsDistributed)
            GradientAllReduce.Run(DataParallel.World, optimizer.Parameters, DataParallel.LocalShare ?? 1.0 / DataParallel.World.Size);
        double norm = GradClip.ClipGlobalNorm(optimizer.Parameters, gradClip > 0 ? gradClip : float.PositiveInfinity);
        bool finite = double.IsFinite(norm);
        if (finite && update)
        {
            optimizer.LearningRate = learningRate;
            optimizer.Step();
        }
        optimizer.ZeroGrad();
        return (norm, finite);
    }
}
