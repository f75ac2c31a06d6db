using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

public class MatMulTests
{
    /// <summary>Double-precision reference: op(A)·op(B) with shared or batched B.</summary>
    private static double[] RefMatMul(double[] a, double[] b, int batch, int m, int k, int n, bool transA, bool transB, bool sharedB)
    {
        var c = new double[batch * m * n];
        for (int t = 0; t < batch; t++)
        {
            int ao = t * m * k, bo = sharedB ? 0 : t * k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = transA ? a[ao + p * m + i] : a[ao + i * k + p];
                        double bv = transB ? b[bo + j * k + p] : b[bo + p * n + j];
                        s += av * bv;
                    }
                    c[t * m * n + i * n + j] = s;
                }
        }
        return c;
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, true, true)]
    public void MatMul_GradCheck_AllTransposeVariants(bool transA, bool transB, bool sharedB)
    {
        int batch = 2, m = 3, k = 5, n = 4;
        var a = GradCheck.Random(1, 1f, transA ? [batch, k, m] : [batch, m, k]);
        int[] bShape = transB ? [n, k] : [k, n];
        var b = GradCheck.Random(2, 1f, sharedB ? bShape : [batch, .. bShape]);
        GradCheck.Check(
            x => Ops.MatMul(x[0], x[1], transA, transB),
            x => RefMatMul(x[0], x[1], batch, m, k, n, transA, transB, sharedB),
            [a, b]);
    }

    [Fact]
    public void MatMul_InnerDimensionMismatch_NamesBothShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.MatMul(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
        Assert.Contains("MatMul", ex.Message);
    }

    [Fact]
    public void MatMul_OfTransposedView_MatchesExplicitCopy()
    {
        var a = GradCheck.Random(3, 1f, 4, 6);
        var b = GradCheck.Random(4, 1f, 4, 5);
        var viaView = Ops.MatMul(Ops.Transpose(a, 0, 1), b).ToArray();
        var viaFlag = Ops.MatMul(a, b, transA: true).ToArray();
        Assert.Equal(viaFlag, viaView);
    }
}
