using System.Runtime.Intrinsics;
using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

public class SoftmaxTests
{
    /// <summary>Double reference softmax (or log-softmax) along dimension <paramref name="dim"/> of a row-major array.</summary>
    internal static double[] RefSoftmax(double[] x, int[] shape, int dim, bool log)
    {
        int n = shape[dim], inner = 1;
        for (int d = dim + 1; d < shape.Length; d++) inner *= shape[d];
        int outer = x.Length / (n * inner);
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int at(int j) => (o * n + j) * inner + i;
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < n; j++) max = Math.Max(max, x[at(j)]);
                for (int j = 0; j < n; j++) sum += Math.Exp(x[at(j)] - max);
                for (int j = 0; j < n; j++)
                    y[at(j)] = log ? x[at(j)] - max - Math.Log(sum) : Math.Exp(x[at(j)] - max) / sum;
            }
        return y;
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(0)]
    public void Softmax_GradCheck_OddShape(int dim)
    {
        int[] shape = [3, 5, 7];
        var x = GradCheck.Random(1, 2f, shape);
        GradCheck.Check(t => Ops.Softmax(t[0], dim), x => RefSoftmax(x[0], shape, dim < 0 ? 2 : dim, log: false), [x]);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void LogSoftmax_GradCheck_OddShape(int dim)
    {
        int[] shape = [3, 5, 7];
        var x = GradCheck.Random(2, 2f, shape);
        GradCheck.Check(t => Ops.LogSoftmax(t[0], dim), x => RefSoftmax(x[0], shape, dim < 0 ? 2 : dim, log: true), [x]);
    }

    [Fact]
    public void Softmax_HugeAndMinusInfinityLogits_AreStable()
    {
        var x = Tensor.FromArray([1000f, 1001f, float.NegativeInfinity, 999f, -1000f, -1001f, -1002f, float.NegativeInfinity], 2, 4);
        var y = Ops.Softmax(x).ToArray();
        var ly = Ops.LogSoftmax(x).ToArray();
        var expected = RefSoftmax([1000, 1001, double.NegativeInfinity, 999, -1000, -1001, -1002, double.NegativeInfinity], [2, 4], 1, false);
        for (int i = 0; i < 8; i++)
        {
            GradCheck.AssertClose(expected[i], y[i], 1e-6, 1e-5, $"softmax[{i}]");
            if (expected[i] > 0) GradCheck.AssertClose(Math.Log(expected[i]), ly[i], 1e-5, 1e-5, $"logsoftmax[{i}]");
            else Assert.Equal(float.NegativeInfinity, ly[i]);
        }
    }

    [Fact]
    public void FastExp_MatchesMathFExp_WithinFewUlp()
    {
        var rng = new Rng(11);
        var xs = new float[4096];
        rng.FillUniform(xs, -87f, 88f);
        for (int i = 0; i < xs.Length; i += 16)
        {
            var v512 = FastExp.Exp(Vector512.Create(xs.AsSpan(i, 16)));
            var v256 = FastExp.Exp(Vector256.Create(xs.AsSpan(i, 8)));
            for (int j = 0; j < 16; j++)
            {
                double e = Math.Exp(xs[i + j]);
                GradCheck.AssertClose(e, v512[j], 0, 3e-7, $"exp512({xs[i + j]})");
                if (j < 8) Assert.Equal(v512[j], v256[j]);
            }
        }
        var special = FastExp.Exp(Vector256.Create(float.NegativeInfinity, -200f, -88f, 0f, 1f, float.NaN, 88f, -0f));
        Assert.Equal(0f, special[0]);
        Assert.Equal(0f, special[1]);
        Assert.Equal(1f, special[3]);
        GradCheck.AssertClose(Math.E, special[4], 0, 3e-7, "exp(1)");
        Assert.True(float.IsNaN(special[5]));
        Assert.True(float.IsFinite(special[6]));
        Assert.Equal(1f, special[7]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxKernel_EqualsReference_Lengths0To257(bool use512)
    {
        var rng = new Rng(12);
        for (int n = 0; n <= 257; n++)
        {
            var x = new float[n]; rng.FillUniform(x, -6f, 6f);
            var dy = new float[n]; rng.FillUniform(dy, -1f, 1f);
            var d0 = new float[n]; rng.FillUniform(d0, -1f, 1f);
            string at = $"n={n} 512={use512}";
            float shift = n == 0 ? 0f : SoftmaxReference.Max(x);
            if (n > 0) Assert.Equal(SoftmaxReference.Max(x), SoftmaxKernel.Max(x));
            Close(SoftmaxReference.ExpSum(x, 0.7f, shift), SoftmaxKernel.ExpSum(x, 0.7f, shift, use512), at + " ExpSum");

            var y = new float[n]; var yRef = new float[n];
            Close(SoftmaxReference.ExpStore(x, 1.3f, shift, yRef), SoftmaxKernel.ExpStore(x, 1.3f, shift, y, use512), at + " ExpStore sum");
            Close(yRef, y, at + " ExpStore");

            var (s, d) = SoftmaxKernel.ExpSumDot(x, shift, use512);
            var (sRef, dRef) = SoftmaxReference.ExpSumDot(x, shift);
            Close(sRef, s, at + " ExpSumDot sum");
            Close(dRef, d, at + " ExpSumDot dot");

            Compare(a => SoftmaxKernel.ExpAxpy(x, shift, -0.6f, a, use512), a => SoftmaxReference.ExpAxpy(x, shift, -0.6f, a), at + " ExpAxpy");
            Compare(a => SoftmaxKernel.ExpScale(x, shift, 0.7f, a, use512), a => SoftmaxReference.ExpScale(x, shift, 0.7f, a), at + " ExpScale");
            var inPlace = (float[])x.Clone();
            SoftmaxKernel.ExpScale(inPlace, shift, 0.7f, inPlace, use512);
            var onZeros = new float[n];
            SoftmaxKernel.ExpAxpy(x, shift, 0.7f, onZeros, use512);
            Assert.Equal(onZeros, inPlace); // in place, and the same bits as the axpy onto zeros it replaces
            Compare(a => SoftmaxKernel.ExpCentredAxpy(x, shift, 0.4f, 1.7f, a, use512), a => SoftmaxReference.ExpCentredAxpy(x, shift, 0.4f, 1.7f, a), at + " ExpCentredAxpy");
            Compare(a => SoftmaxKernel.MulShiftedAdd(x, dy, 0.3f, a), a => SoftmaxReference.MulShiftedAdd(x, dy, 0.3f, a), at + " MulShiftedAdd");
            Compare(a => SoftmaxKernel.SoftmaxRow(x, a, use512), a => SoftmaxReference.SoftmaxRow(x, a), at + " SoftmaxRow");
            Compare(a => SoftmaxKernel.LogSoftmaxRow(x, a, use512), a => SoftmaxReference.LogSoftmaxRow(x, a), at + " LogSoftmaxRow");
            SoftmaxReference.SoftmaxRow(x, yRef);
            Compare(a => SoftmaxKernel.SoftmaxBackwardRow(yRef, dy, a), a => SoftmaxReference.SoftmaxBackwardRow(yRef, dy, a), at + " SoftmaxBackwardRow");
            SoftmaxReference.LogSoftmaxRow(x, yRef);
            Compare(a => SoftmaxKernel.LogSoftmaxBackwardRow(yRef, dy, a, use512), a => SoftmaxReference.LogSoftmaxBackwardRow(yRef, dy, a), at + " LogSoftmaxBackwardRow");
            if (n > 0) Close(SoftmaxReference.LogSumExp(x), SoftmaxKernel.LogSumExp(x, use512), at + " LogSumExp");

            void Compare(Action<float[]> kernel, Action<float[]> reference, string what)
            {
                var a = (float[])d0.Clone(); var b = (float[])d0.Clone();
                kernel(a); reference(b);
                Close(b, a, what);
            }
        }
    }

    private static void Close(float expected, float actual, string what) => GradCheck.AssertClose(expected, actual, 1e-5, 3e-5, what);

    private static void Close(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++) GradCheck.AssertClose(expected[i], actual[i], 1e-6, 1e-5, $"{what}[{i}]");
    }

    [Fact]
    public void Softmax_LargeParallelInput_RowsEqualKernel()
    {
        var x = GradCheck.Random(13, 3f, 40, 3001);
        var y = Ops.Softmax(x).ToArray();
        var xs = x.ToArray();
        var row = new float[3001];
        for (int r = 0; r < 40; r += 13)
        {
            SoftmaxKernel.SoftmaxRow(xs.AsSpan(r * 3001, 3001), row, FastExp.Prefer512);
            Assert.Equal(row, y.AsSpan(r * 3001, 3001).ToArray());
        }
    }

    [Fact]
    public void Softmax_BadDim_NamesOp()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Softmax(Tensor.Zeros(2, 3), 2));
        Assert.Contains("Softmax", ex.Message);
        Assert.Throws<TensorShapeException>(() => Ops.LogSoftmax(Tensor.Zeros(2, 3), -3));
    }
}
