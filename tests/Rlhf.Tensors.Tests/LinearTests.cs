using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

public class LinearTests
{
    [Fact]
    public void Linear_GradCheck_OddShapes()
    {
        var x = GradCheck.Random(1, 1f, 2, 3, 5);
        var w = GradCheck.Random(2, 1f, 5, 7);
        var b = GradCheck.Random(3, 1f, 7);
        GradCheck.Check(t => Ops.Linear(t[0], t[1], t[2]), r =>
        {
            var y = new double[6 * 7];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 7; j++)
                {
                    double s = r[2][j];
                    for (int p = 0; p < 5; p++) s += r[0][i * 5 + p] * r[1][p * 7 + j];
                    y[i * 7 + j] = s;
                }
            return y;
        }, [x, w, b]);
    }

    [Fact]
    public void Linear_EqualsMatMulPlusBiasAdd()
    {
        var x = GradCheck.Random(4, 1f, 33, 20);
        var w = GradCheck.Random(5, 1f, 20, 17);
        var b = GradCheck.Random(6, 1f, 17);
        var fused = Ops.Linear(x, w, b).ToArray();
        var separate = Ops.BiasAdd(Ops.MatMul(x, w), b).ToArray();
        for (int i = 0; i < fused.Length; i++) Assert.True(Math.Abs(fused[i] - separate[i]) < 1e-5, $"y[{i}]");
    }

    [Fact]
    public void Linear_ShapeMismatch_NamesAllShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5), Tensor.Zeros(5)));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
    }
}

public class GemmBiasTests
{
    [Theory]
    [InlineData(GemmKernel.Avx512)]
    [InlineData(GemmKernel.Avx2)]
    [InlineData(GemmKernel.Scalar)]
    public void MultiplyAddBias_EqualsReferencePlusBias(GemmKernel kernel)
    {
        var rng = new Rng(31);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 33, 5), (37, 70, 300), (130, 17, 513), (40, 1153, 64) })
            foreach (bool tb in new[] { false, true })
            {
                var a = new float[m * k];
                var b = new float[k * n];
                var bias = new float[n];
                rng.FillUniform(a, -1, 1);
                rng.FillUniform(b, -1, 1);
                rng.FillUniform(bias, -1, 1);
                var expected = new float[m * n];
                GemmReference.Multiply(false, tb, m, n, k, a, k, b, tb ? k : n, expected, n, accumulate: false);
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) expected[i * n + j] += bias[j];
                var actual = new float[m * n];
                rng.FillUniform(actual, -5, 5); // overwritten
                Gemm.MultiplyAddBias(false, tb, m, n, k, a, k, b, tb ? k : n, bias, actual, n, kernel);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4 * (1 + Math.Sqrt(k)), $"{kernel} m={m} n={n} k={k} tb={tb}: C[{i}] {expected[i]} vs {actual[i]}");
            }
    }
}
