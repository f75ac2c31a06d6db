using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

public class ReductionOpsTests
{
    /// <summary>Naive double reference: reduce (outer, n, inner) over n with optional weights and mean.</summary>
    private static double[] RefReduce(double[] x, double[]? m, int[] shape, int? dim, bool mean)
    {
        int d = dim is null ? 0 : (dim.Value + shape.Length) % shape.Length;
        int outer = 1, n = 1, inner = 1;
        if (dim is null) n = x.Length;
        else
        {
            for (int i = 0; i < d; i++) outer *= shape[i];
            n = shape[d];
            for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        }
        var y = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0, c = 0;
                for (int k = 0; k < n; k++)
                {
                    int idx = (o * n + k) * inner + i;
                    double w = m is null ? 1 : m[idx];
                    if (w != 0) s += x[idx] * w;
                    c += w;
                }
                y[o * inner + i] = !mean ? s : m is null ? s / n : c == 0 ? 0 : s / c;
            }
        return y;
    }

    public static TheoryData<int[], int> DimCases => new()
    {
        { [3, 5, 7], 0 }, { [3, 5, 7], 1 }, { [3, 5, 7], 2 }, { [3, 5, 7], -1 }, { [4], 0 }, { [2, 1, 3], 1 },
    };

    [Fact]
    public void Sum_All_GradCheck() =>
        GradCheck.Check(x => Ops.Sum(x[0]), x => RefReduce(x[0], null, [3, 5, 7], null, false), [GradCheck.Random(1, 1f, 3, 5, 7)]);

    [Fact]
    public void Mean_All_GradCheck() =>
        GradCheck.Check(x => Ops.Mean(x[0]), x => RefReduce(x[0], null, [3, 5, 7], null, true), [GradCheck.Random(2, 1f, 3, 5, 7)]);

    [Fact]
    public void Sum_ScalarShaped_GradCheck() =>
        GradCheck.Check(x => Ops.Sum(x[0]), x => [x[0][0]], [GradCheck.Random(3, 1f)]);

    [Theory]
    [MemberData(nameof(DimCases))]
    public void Sum_Dim_GradCheck(int[] shape, int dim) =>
        GradCheck.Check(x => Ops.Sum(x[0], dim), x => RefReduce(x[0], null, shape, dim, false), [GradCheck.Random(4, 1f, shape)]);

    [Theory]
    [MemberData(nameof(DimCases))]
    public void Mean_Dim_GradCheck(int[] shape, int dim) =>
        GradCheck.Check(x => Ops.Mean(x[0], dim, keepDim: true), x => RefReduce(x[0], null, shape, dim, true), [GradCheck.Random(5, 1f, shape)]);

    [Fact]
    public void Sum_Dim_OutputShapes()
    {
        var x = Tensor.Zeros(3, 5, 7);
        Assert.Equal([3, 7], Ops.Sum(x, 1).ShapeArray());
        Assert.Equal([3, 1, 7], Ops.Sum(x, 1, keepDim: true).ShapeArray());
        Assert.Equal([3, 5], Ops.Mean(x, -1).ShapeArray());
        Assert.Empty(Ops.Sum(x).ShapeArray());
    }

    [Fact]
    public void Sum_Empty_IsZero_Mean_Empty_IsNaN()
    {
        Assert.Equal(0f, Ops.Sum(Tensor.Zeros(0, 3)).Item());
        Assert.True(float.IsNaN(Ops.Mean(Tensor.Zeros(0)).Item()));
        Assert.Equal([0f, 0f, 0f], Ops.Sum(Tensor.Zeros(0, 3), 0).ToArray());
    }

    [Fact]
    public void Sum_BadDim_NamesOp()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Sum(Tensor.Zeros(2, 3), 2));
        Assert.Contains("Sum", ex.Message);
        var ex2 = Assert.Throws<TensorShapeException>(() => Ops.Mean(Tensor.Zeros(2, 3), -3));
        Assert.Contains("Mean", ex2.Message);
    }

    [Fact]
    public void Sum_Large_IsAccurateAndDeterministic()
    {
        // 1M copies of 0.1f: a float running sum drifts by ~1%; double accumulation is exact to float rounding
        var x = Tensor.Full(0.1f, 1 << 20);
        double exact = (double)0.1f * (1 << 20);
        float s = Ops.Sum(x).Item();
        Assert.Equal((float)exact, s);
        var r = GradCheck.Random(6, 1f, 1000, 300);
        Assert.Equal(Ops.Sum(r).Item(), Ops.Sum(r).Item());
        GradCheck.AssertClose(r.ToArray().Sum(v => (double)v), Ops.Sum(r).Item(), 1e-4, 1e-6, "sum of 300K normals");
    }

    [Fact]
    public void Sum_Dim_LargeShapes_MatchDoubleReference()
    {
        // sizes above the 64K block: multi-block column sums (dim 0), parallel row sums (dim 1), per-outer column sums
        foreach (var (shape, dim) in new[] { (new[] { 700, 130 }, 0), (new[] { 130, 700 }, 1), (new[] { 3, 300, 90 }, 1) })
        {
            var x = GradCheck.Random(7, 1f, shape);
            var expected = RefReduce(x.ToArray().Select(v => (double)v).ToArray(), null, shape, dim, false);
            var actual = Ops.Sum(x, dim).ToArray();
            for (int i = 0; i < expected.Length; i++) GradCheck.AssertClose(expected[i], actual[i], 1e-5, 1e-6, $"sum[{i}]");
        }
    }

    // ------------------------------------------------------------------ masked

    private static Tensor Mask(ulong seed, params int[] shape)
    {
        var rng = new Rng(seed);
        var m = Tensor.Zeros(shape);
        var s = m.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextFloat() < 0.6f ? 1f : 0f;
        return m;
    }

    [Fact]
    public void MaskedSum_All_GradCheck()
    {
        var mask = Mask(10, 3, 5, 7);
        var m = mask.ToArray().Select(v => (double)v).ToArray();
        GradCheck.Check(x => Ops.MaskedSum(x[0], mask), x => RefReduce(x[0], m, [3, 5, 7], null, false), [GradCheck.Random(11, 1f, 3, 5, 7)]);
    }

    [Fact]
    public void MaskedMean_All_GradCheck()
    {
        var mask = Mask(12, 3, 5, 7);
        var m = mask.ToArray().Select(v => (double)v).ToArray();
        GradCheck.Check(x => Ops.MaskedMean(x[0], mask), x => RefReduce(x[0], m, [3, 5, 7], null, true), [GradCheck.Random(13, 1f, 3, 5, 7)]);
    }

    [Theory]
    [MemberData(nameof(DimCases))]
    public void MaskedMean_Dim_GradCheck(int[] shape, int dim)
    {
        var mask = Mask(14, shape);
        var m = mask.ToArray().Select(v => (double)v).ToArray();
        GradCheck.Check(x => Ops.MaskedMean(x[0], mask, dim), x => RefReduce(x[0], m, shape, dim, true), [GradCheck.Random(15, 1f, shape)]);
    }

    [Theory]
    [MemberData(nameof(DimCases))]
    public void MaskedSum_Dim_GradCheck(int[] shape, int dim)
    {
        var mask = Mask(16, shape);
        var m = mask.ToArray().Select(v => (double)v).ToArray();
        GradCheck.Check(x => Ops.MaskedSum(x[0], mask, dim, keepDim: true), x => RefReduce(x[0], m, shape, dim, false), [GradCheck.Random(17, 1f, shape)]);
    }

    [Fact]
    public void MaskedMean_PerSequenceTokenMean_WithBroadcastMask()
    {
        // x (B=2, T=3, C=4), mask (B, T, 1): per-(b, c) mean over unmasked tokens along dim 1
        var mask = Tensor.FromArray([1f, 1f, 0f, 0f, 1f, 0f], 2, 3, 1);
        var full = BroadcastReference.Binary(mask.ToArray().Select(v => (double)v).ToArray(), [2, 3, 1], new double[24], [2, 3, 4], (a, _) => a);
        GradCheck.Check(x => Ops.MaskedMean(x[0], mask, 1), x => RefReduce(x[0], full, [2, 3, 4], 1, true), [GradCheck.Random(18, 1f, 2, 3, 4)]);
    }

    [Fact]
    public void MaskedMean_AllZeroMask_GivesZeroAndZeroGradient()
    {
        var x = GradCheck.Random(19, 1f, 2, 3);
        x.RequiresGrad = true;
        var mask = Tensor.FromArray([0f, 0f, 0f, 1f, 0f, 1f], 2, 3);
        var rows = Ops.MaskedMean(x, mask, 1);
        Assert.Equal(0f, rows.ToArray()[0]);
        Ops.Sum(rows).Backward();
        Assert.Equal([0f, 0f, 0f, 0.5f, 0f, 0.5f], x.Grad!.ToArray());
        Assert.Equal(0f, Ops.MaskedMean(x.Detach(), Tensor.Zeros(2, 3)).Item());
    }

    [Fact]
    public void Masked_IgnoresNaNAndInfinityAtMaskedPositions()
    {
        var x = Tensor.FromArray([1f, float.NaN, 3f, float.NegativeInfinity], 4);
        var mask = Tensor.FromArray([1f, 0f, 1f, 0f], 4);
        Assert.Equal(4f, Ops.MaskedSum(x, mask).Item());
        Assert.Equal(2f, Ops.MaskedMean(x, mask).Item());
    }

    [Fact]
    public void Masked_BadMaskShape_NamesOpAndBothShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.MaskedMean(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)));
        Assert.Contains("MaskedMean", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[3, 2]", ex.Message);
        // a mask larger than x (would broadcast x up) is rejected too
        var ex2 = Assert.Throws<TensorShapeException>(() => Ops.MaskedSum(Tensor.Zeros(3), Tensor.Zeros(2, 3)));
        Assert.Contains("MaskedSum", ex2.Message);
        Assert.Contains("[2, 3]", ex2.Message);
    }

    // ------------------------------------------------------------------ kernels

    [Fact]
    public void ReduceSum_Kernels_EqualReference_OnLengths0To257()
    {
        var rng = new Rng(20);
        for (int n = 0; n <= 257; n++)
        {
            var x = new float[n];
            rng.FillUniform(x, -1f, 1f);
            double expected = ReduceSumReference.Sum(x), actual = ReduceSum.Sum(x);
            // different association only: double error ≪ float resolution
            Assert.True(Math.Abs(expected - actual) <= 1e-12 * (1 + n), $"Sum n={n}: {expected} vs {actual}");

            var acc0 = new double[n + 3];
            for (int i = 0; i < acc0.Length; i++) acc0[i] = rng.NextDouble();
            var accRef = (double[])acc0.Clone();
            var accSimd = (double[])acc0.Clone();
            ReduceSumReference.AccumulateRow(accRef.AsSpan(1, n), x);
            ReduceSum.AccumulateRow(accSimd.AsSpan(1, n), x);
            Assert.Equal(accRef, accSimd); // element-wise and exact: same bits, neighbours untouched
        }
    }

    [Fact]
    public void ReduceSum_BlockedColumnAndRowSums_MatchNaive()
    {
        var rng = new Rng(21);
        foreach (var (rows, cols) in new[] { (0, 5), (5, 0), (1, 1), (3, 257), (1000, 70), (70, 1000) })
        {
            var x = new float[rows * cols + 2];
            rng.FillUniform(x, -1f, 1f);
            var col = new double[cols];
            ReduceSum.ColumnSums(x, 2, rows, cols, col);
            var row = new double[rows];
            ReduceSum.RowSums(x, 2, rows, cols, row);
            for (int c = 0; c < cols; c++)
            {
                double s = 0;
                for (int r = 0; r < rows; r++) s += x[2 + r * cols + c];
                Assert.True(Math.Abs(s - col[c]) < 1e-10, $"col {c} of {rows}x{cols}");
            }
            for (int r = 0; r < rows; r++)
            {
                double s = 0;
                for (int c = 0; c < cols; c++) s += x[2 + r * cols + c];
                Assert.True(Math.Abs(s - row[r]) < 1e-10, $"row {r} of {rows}x{cols}");
            }
            Assert.True(Math.Abs(x.Skip(2).Sum(v => (double)v) - ReduceSum.SumAll(x, 2, rows * cols)) < 1e-9);
        }
    }
}
