using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

public class GeluTests
{
    private static double RefGelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    [Fact]
    public void Gelu_GradCheck_OddShape()
    {
        var x = GradCheck.Random(1, 2f, 3, 5, 7);
        GradCheck.Check(t => Ops.Gelu(t[0]), x => x[0].Select(RefGelu).ToArray(), [x]);
    }

    [Fact]
    public void Gelu_KnownValues_MatchGpt2Formula()
    {
        var y = Ops.Gelu(Tensor.FromArray([-3f, -1f, 0f, 0.5f, 1f, 3f], 6)).ToArray();
        // ½x(1 + tanh(√(2/π)(x + 0.044715x³))) evaluated in double
        double[] expected = [-0.0036373920817729943, -0.15880800939172324, 0, 0.34571400982514394, 0.8411919906082768, 2.996362607918227];
        for (int i = 0; i < y.Length; i++) GradCheck.AssertClose(expected[i], y[i], 1e-6, 1e-6, $"gelu[{i}]");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GeluKernel_EqualsReference_Lengths0To257(bool use512)
    {
        var rng = new Rng(3);
        for (int n = 0; n <= 257; n++)
        {
            var x = new float[n]; rng.FillUniform(x, -8f, 8f);
            var dy = new float[n]; rng.FillUniform(dy, -1f, 1f);
            var dx0 = new float[n]; rng.FillUniform(dx0, -1f, 1f);
            var y = new float[n]; var yRef = new float[n];
            var dx = (float[])dx0.Clone(); var dxRef = (float[])dx0.Clone();
            GeluKernel.Forward(x, y, use512);
            GeluReference.Forward(x, yRef);
            GeluKernel.Backward(x, dy, dx, use512);
            GeluReference.Backward(x, dy, dxRef);
            for (int i = 0; i < n; i++)
            {
                // the kernel uses x·σ(2u) instead of ½x(1 + tanh u): equal up to float rounding of the cancellation
                GradCheck.AssertClose(yRef[i], y[i], 2e-6, 1e-5, $"n={n} y[{i}] (x={x[i]})");
                GradCheck.AssertClose(dxRef[i], dx[i], 2e-6, 1e-5, $"n={n} dx[{i}] (x={x[i]})");
            }
        }
    }

    [Fact]
    public void Gelu_ExtremeInputs_StayFinite()
    {
        var y = Ops.Gelu(Tensor.FromArray([-1e4f, -100f, 100f, 1e4f], 4)).ToArray();
        Assert.Equal(0f, y[0], 6);
        Assert.Equal(0f, y[1], 6);
        Assert.Equal(100f, y[2]);
        Assert.Equal(1e4f, y[3]);
    }

    [Fact]
    public void Gelu_LargeParallelInput_EqualsKernelOnWholeArray()
    {
        // > 64K elements: the op runs blocks on several threads; each element must equal the sequential kernel
        var x = GradCheck.Random(5, 3f, 300, 257);
        var y = Ops.Gelu(x).ToArray();
        var expected = new float[x.Size];
        GeluKernel.Forward(x.ToArray(), expected, FastExp.Prefer512);
        Assert.Equal(expected, y);
    }
}
