using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

public class RmsNormTests
{
    /// <summary>Double reference: per row of C, x / √(mean(x²) + eps)·w.</summary>
    private static double[] RefRmsNorm(double[] x, double[] w, int C, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / C; r++)
        {
            double ms = 0;
            for (int i = 0; i < C; i++) ms += x[r * C + i] * x[r * C + i];
            double rstd = 1 / Math.Sqrt(ms / C + eps);
            for (int i = 0; i < C; i++) y[r * C + i] = x[r * C + i] * rstd * w[i];
        }
        return y;
    }

    [Fact]
    public void RmsNorm_GradCheck_OddShape()
    {
        var x = GradCheck.Random(1, 1.5f, 3, 5, 7);
        var w = GradCheck.Random(2, 1f, 7);
        GradCheck.Check(t => Ops.RmsNorm(t[0], t[1], 1e-5f), x => RefRmsNorm(x[0], x[1], 7, 1e-5), [x, w]);
    }

    [Fact]
    public void RmsNorm_GradCheck_ManyChunks()
    {
        // 70 rows cross the 32-row dw chunks
        var x = GradCheck.Random(4, 1f, 70, 9);
        var w = GradCheck.Random(5, 1f, 9);
        GradCheck.Check(t => Ops.RmsNorm(t[0], t[1], 1e-3f), x => RefRmsNorm(x[0], x[1], 9, 1e-3), [x, w]);
    }

    [Fact]
    public void RmsNorm_RejectsMismatchedWeight()
    {
        var e = Assert.Throws<TensorShapeException>(() => Ops.RmsNorm(Tensor.Zeros(2, 4), Tensor.Ones(3)));
        Assert.Contains("weight", e.Message);
    }
}
