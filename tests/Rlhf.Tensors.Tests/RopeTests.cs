using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

public class RopeTests
{
    /// <summary>Double reference of HF's q·cos + rotate_half(q)·sin per head, θ = position·invFreq (float32 product).</summary>
    private static double[] RefRope(double[] x, int rows, int width, int hs, int[] positions, float[] invFreq)
    {
        var y = new double[x.Length];
        int half = hs / 2;
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < width; h += hs)
                for (int i = 0; i < hs; i++)
                {
                    double angle = positions[r] * invFreq[i % half];
                    double rotated = i < half ? -x[r * width + h + i + half] : x[r * width + h + i - half];
                    y[r * width + h + i] = x[r * width + h + i] * Math.Cos(angle) + rotated * Math.Sin(angle);
                }
        return y;
    }

    [Fact]
    public void Rope_GradCheck_TwoHeadsArbitraryPositions()
    {
        int B = 2, T = 3, hs = 6, H = 2;
        var x = GradCheck.Random(1, 1f, B, T, H * hs);
        int[] positions = [0, 1, 2, 0, 0, 5]; // second row left-padded
        float[] invFreq = [1f, 0.1f, 0.01f];
        GradCheck.Check(t => Ops.Rope(t[0], hs, positions, invFreq), x => RefRope(x[0], B * T, H * hs, hs, positions, invFreq), [x]);
    }

    [Fact]
    public void Rope_PositionZeroIsIdentity_AndNormIsKept()
    {
        var x = GradCheck.Random(2, 1f, 1, 2, 8);
        var y = Ops.Rope(x, 4, [0, 7], [1f, 0.3f]);
        var xs = x.ToArray(); var ys = y.ToArray();
        for (int i = 0; i < 8; i++) Assert.Equal(xs[i], ys[i]);
        double nx = 0, ny = 0;
        for (int i = 8; i < 16; i++) { nx += xs[i] * xs[i]; ny += ys[i] * ys[i]; }
        Assert.Equal(nx, ny, 4);
        Assert.NotEqual(xs[8], ys[8]);
    }

    [Fact]
    public void Rope_RejectsOddHeadSize() =>
        Assert.Throws<TensorShapeException>(() => Ops.Rope(Tensor.Zeros(1, 1, 6), 3, [0], [1f]));
}
