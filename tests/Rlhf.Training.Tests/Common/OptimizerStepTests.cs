using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Common;

namespace Rlhf.Training.Tests.Common;

/// <summary>
/// <see cref="OptimizerStep"/>, the clip-and-update every trainer's step ends with (pretrain and SFT through
/// <see cref="TrainStep"/>, RM, DPO and GRPO directly): with plain SGD (w ← w − lr·g) the update shows the clipped
/// gradient exactly, and a non-finite gradient leaves the weights untouched.
/// </summary>
public sealed class OptimizerStepTests
{
    private static (Tensor W, Sgd Sgd) Parameter(float g0, float g1)
    {
        var w = Tensor.FromArray([1f, 1f], 2);
        w.RequiresGrad = true;
        w.Name = "w";
        w.Grad = Tensor.FromArray([g0, g1], 2);
        return (w, new Sgd([w], learningRate: 1f));
    }

    [Fact]
    public void Clips_the_global_norm_then_steps_and_zeroes_the_gradients()
    {
        var (w, sgd) = Parameter(3, 4);                        // ‖g‖ = 5
        var (norm, finite) = OptimizerStep.ClipAndUpdate(sgd, 0.5f, gradClip: 1f);
        Assert.Equal(5, norm, 6);
        Assert.True(finite);
        var after = w.ToArray();                                 // g clipped to (0.6, 0.8), lr 0.5
        Assert.Equal(1 - 0.5 * 0.6, after[0], 1e-6);
        Assert.Equal(1 - 0.5 * 0.8, after[1], 1e-6);
        Assert.True(w.Grad is null || w.Grad.ToArray().All(x => x == 0));
    }

    [Fact]
    public void A_clip_of_zero_is_off()
    {
        var (w, sgd) = Parameter(3, 4);
        OptimizerStep.ClipAndUpdate(sgd, 0.1f, gradClip: 0f);
        var after = w.ToArray();
        Assert.Equal(1 - 0.3, after[0], 1e-6);
        Assert.Equal(1 - 0.4, after[1], 1e-6);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_non_finite_gradient_skips_the_update(float bad)
    {
        var (w, sgd) = Parameter(bad, 1);
        var (norm, finite) = OptimizerStep.ClipAndUpdate(sgd, 0.5f, gradClip: 1f);
        Assert.False(finite);
        Assert.False(double.IsFinite(norm));
        Assert.Equal([1f, 1f], w.ToArray());
        Assert.Equal(0, sgd.StepCount);
    }

    [Fact]
    public void No_update_when_told_so_but_the_gradients_are_dropped()
    {
        var (w, sgd) = Parameter(3, 4);
        var (_, finite) = OptimizerStep.ClipAndUpdate(sgd, 0.5f, gradClip: 1f, update: false); // GRPO with no signal
        Assert.True(finite);
        Assert.Equal([1f, 1f], w.ToArray());
        Assert.True(w.Grad is null || w.Grad.ToArray().All(x => x == 0));
    }
}
