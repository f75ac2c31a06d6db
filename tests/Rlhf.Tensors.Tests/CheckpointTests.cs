using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

/// <summary>Ops.Checkpoint: recompute-in-backward gives the gradients of the plain graph.</summary>
public class CheckpointTests
{
    [Fact]
    public void GradCheck_InputAndParameter()
    {
        // f(x) = tanh(x·W) ⊙ x·W: the parameter W is read inside f and must get its gradient through the recomputation
        GradCheck.Check(
            t => Ops.Checkpoint(x => Ops.Tanh(Ops.MatMul(x, t[1])) * Ops.MatMul(x, t[1]), t[0], [t[1]]),
            x =>
            {
                var y = new double[3 * 2];
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 2; j++)
                    {
                        double a = 0;
                        for (int k = 0; k < 4; k++) a += x[0][i * 4 + k] * x[1][k * 2 + j];
                        y[i * 2 + j] = Math.Tanh(a) * a;
                    }
                return y;
            },
            [GradCheck.Random(1, 1f, 3, 4), GradCheck.Random(2, 1f, 4, 2)]);
    }

    [Fact]
    public void InputWithoutGrad_OnlyParameterGets_AGradient()
    {
        var x = GradCheck.Random(3, 1f, 2, 3);
        var w = GradCheck.Random(4, 1f, 3, 3);
        w.RequiresGrad = true;
        var y = Ops.Checkpoint(h => Ops.Gelu(Ops.MatMul(h, w)), x, [w]);
        Assert.True(y.RequiresGrad);
        Ops.Sum(y).Backward();
        var w2 = w.Clone();
        w2.RequiresGrad = true;
        Ops.Sum(Ops.Gelu(Ops.MatMul(x, w2))).Backward();
        Assert.Equal(w2.Grad!.ToArray(), w.Grad!.ToArray());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void BackwardUnderNoGrad_StillRecomputesWithRecording()
    {
        var x = GradCheck.Random(5, 1f, 2, 3);
        x.RequiresGrad = true;
        var loss = Ops.Sum(Ops.Checkpoint(h => h * h, x, []));
        using (Tensor.NoGrad()) loss.Backward();
        Assert.Equal(x.ToArray().Select(v => 2 * v).ToArray(), x.Grad!.ToArray());
    }
}
