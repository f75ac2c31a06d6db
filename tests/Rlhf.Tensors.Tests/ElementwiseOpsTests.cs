using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

public class ElementwiseOpsTests
{
    public static TheoryData<int[], int[]> BroadcastCases => new()
    {
        { [3, 5, 7], [3, 5, 7] },   // same shape (fast path)
        { [2, 1, 4], [3, 1] },      // both operands stretched → (2, 3, 4)
        { [3, 5, 7], [7] },         // row broadcast
        { [7], [3, 5, 7] },         // row broadcast, small operand first
        { [3, 5, 7], [3, 5, 1] },   // scalar per row
        { [3, 1, 7], [1, 5, 1] },   // alternating
        { [], [2, 3] },             // rank-0 scalar tensor
        { [2, 3], [] },
        { [], [] },
        { [1], [4] },
    };

    private static Tensor Positive(ulong seed, params int[] shape) => Tensor.Rand(new Rng(seed), 0.5f, 2f, shape);

    private static void CheckBinary(Func<Tensor, Tensor, Tensor> op, Func<double, double, double> f, Tensor a, Tensor b) =>
        GradCheck.Check(x => op(x[0], x[1]), x => BroadcastReference.Binary(x[0], a.ShapeArray(), x[1], b.ShapeArray(), f), [a, b]);

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Add_GradCheck(int[] aShape, int[] bShape) =>
        CheckBinary(Ops.Add, (x, y) => x + y, GradCheck.Random(1, 1f, aShape), GradCheck.Random(2, 1f, bShape));

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Sub_GradCheck(int[] aShape, int[] bShape) =>
        CheckBinary(Ops.Sub, (x, y) => x - y, GradCheck.Random(3, 1f, aShape), GradCheck.Random(4, 1f, bShape));

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Mul_GradCheck(int[] aShape, int[] bShape) =>
        CheckBinary(Ops.Mul, (x, y) => x * y, GradCheck.Random(5, 1f, aShape), GradCheck.Random(6, 1f, bShape));

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Div_GradCheck(int[] aShape, int[] bShape) =>
        CheckBinary(Ops.Div, (x, y) => x / y, GradCheck.Random(7, 1f, aShape), Positive(8, bShape));

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Maximum_GradCheck(int[] aShape, int[] bShape) =>
        CheckBinary(Ops.Maximum, Math.Max, GradCheck.Random(9, 1f, aShape), GradCheck.Random(10, 1f, bShape));

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void Minimum_GradCheck(int[] aShape, int[] bShape) =>
        CheckBinary(Ops.Minimum, Math.Min, GradCheck.Random(11, 1f, aShape), GradCheck.Random(12, 1f, bShape));

    [Fact]
    public void Mul_SameTensorTwice_GetsBothGradientTerms()
    {
        var x = GradCheck.Random(13, 1f, 3, 4);
        GradCheck.Check(t => Ops.Mul(t[0], t[0]), t => t[0].Select(v => v * v).ToArray(), [x]);
    }

    [Fact]
    public void MaximumMinimum_Ties_SendGradientToFirstArgument()
    {
        var a = Tensor.FromArray([1f, 2f, 3f], 3);
        var b = Tensor.FromArray([1f, 5f, 0f], 3);
        a.RequiresGrad = b.RequiresGrad = true;
        Ops.Sum(Ops.Maximum(a, b)).Backward();
        Assert.Equal([1f, 0f, 1f], a.Grad!.ToArray());
        Assert.Equal([0f, 1f, 0f], b.Grad!.ToArray());
        a.ZeroGrad();
        b.ZeroGrad();
        a.RequiresGrad = b.RequiresGrad = true;
        Ops.Sum(Ops.Minimum(a, b)).Backward();
        Assert.Equal([1f, 1f, 0f], a.Grad!.ToArray());
        Assert.Equal([0f, 0f, 1f], b.Grad!.ToArray());
    }

    [Fact]
    public void Broadcast_LargeRowBroadcast_ReducesGradientInDouble()
    {
        // 300×400 = 120K elements: parallel forward chunks and the multi-block column-sum path for db
        int rows = 300, cols = 400;
        var a = GradCheck.Random(14, 1f, rows, cols);
        var b = GradCheck.Random(15, 1f, cols);
        var g = GradCheck.Random(16, 1f, rows, cols);
        a.RequiresGrad = b.RequiresGrad = true;
        var y = Ops.Mul(a, b);
        y.Backward(g);
        float[] av = a.ToArray(), bv = b.ToArray(), gv = g.ToArray(), yv = y.ToArray(), da = a.Grad!.ToArray(), db = b.Grad!.ToArray();
        for (int c = 0; c < cols; c++)
        {
            double expected = 0;
            for (int r = 0; r < rows; r++)
            {
                int i = r * cols + c;
                Assert.Equal(av[i] * bv[c], yv[i]);
                Assert.Equal(gv[i] * bv[c], da[i]);
                expected += (double)gv[i] * av[i];
            }
            GradCheck.AssertClose(expected, db[c], 1e-5, 1e-6, $"db[{c}]");
        }
    }

    [Fact]
    public void Binary_LargeTensorWithScalar_ChunkedRowMatchesElementwise()
    {
        var a = GradCheck.Random(19, 1f, 300, 301);
        var y = (a / 3f).ToArray();
        var y2 = (3f / a).ToArray();
        var av = a.ToArray();
        for (int i = 0; i < av.Length; i++)
        {
            Assert.Equal(av[i] / 3f, y[i]);
            Assert.Equal(3f / av[i], y2[i]);
        }
    }

    [Fact]
    public void Binary_NonContiguousInput_MatchesContiguousCopy()
    {
        var a = GradCheck.Random(17, 1f, 4, 6);
        var b = GradCheck.Random(18, 1f, 4);
        var viaView = Ops.Add(Ops.Transpose(a, 0, 1), b).ToArray();
        var viaCopy = Ops.Add(Ops.Transpose(a, 0, 1).Contiguous(), b).ToArray();
        Assert.Equal(viaCopy, viaView);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    [InlineData("Maximum")]
    [InlineData("Minimum")]
    public void Binary_ShapeMismatch_NamesOpAndBothShapes(string op)
    {
        Func<Tensor, Tensor, Tensor> f = op switch
        {
            "Add" => Ops.Add, "Sub" => Ops.Sub, "Mul" => Ops.Mul, "Div" => Ops.Div, "Maximum" => Ops.Maximum, _ => Ops.Minimum,
        };
        var ex = Assert.Throws<TensorShapeException>(() => f(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.Contains(op, ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    // ------------------------------------------------------------------ unary

    private static void CheckUnary(Func<Tensor, Tensor> op, Func<double, double> f, Tensor x, double atol = 1e-4, double rtol = 1e-3) =>
        GradCheck.Check(t => op(t[0]), t => t[0].Select(f).ToArray(), [x], atol, rtol);

    [Fact] public void Exp_GradCheck() => CheckUnary(Ops.Exp, Math.Exp, GradCheck.Random(20, 1f, 3, 5, 7));
    [Fact] public void Log_GradCheck() => CheckUnary(Ops.Log, Math.Log, Positive(21, 3, 5, 7));
    [Fact] public void Sigmoid_GradCheck() => CheckUnary(Ops.Sigmoid, v => 1 / (1 + Math.Exp(-v)), GradCheck.Random(22, 3f, 3, 5, 7));
    [Fact] public void Tanh_GradCheck() => CheckUnary(Ops.Tanh, Math.Tanh, GradCheck.Random(23, 2f, 3, 5, 7));
    [Fact] public void LogSigmoid_GradCheck() => CheckUnary(Ops.LogSigmoid, RefLogSigmoid, GradCheck.Random(24, 4f, 3, 5, 7));
    [Fact] public void Silu_GradCheck() => CheckUnary(Ops.Silu, v => v / (1 + Math.Exp(-v)), GradCheck.Random(31, 3f, 3, 5, 7));
    [Fact] public void Scale_GradCheck() => CheckUnary(t => Ops.Scale(t, -2.5f), v => -2.5 * v, GradCheck.Random(25, 1f, 3, 5, 7));
    [Fact] public void AddScalar_GradCheck() => CheckUnary(t => Ops.AddScalar(t, 0.75f), v => v + 0.75, GradCheck.Random(26, 1f, 3, 5, 7));
    [Fact] public void Neg_GradCheck() => CheckUnary(Ops.Neg, v => -v, GradCheck.Random(27, 1f, 3, 5, 7));
    [Fact] public void Affine_GradCheck() => CheckUnary(t => Ops.Affine(t, 3f, -1f), v => 3 * v - 1, GradCheck.Random(28, 1f, 3, 5, 7));
    [Fact] public void Unary_ScalarShapedTensor_GradCheck() => CheckUnary(Ops.Exp, Math.Exp, GradCheck.Random(29, 1f));
    [Fact] public void Clamp_GradCheck() => CheckUnary(t => Ops.Clamp(t, -0.5f, 0.7f), v => Math.Clamp(v, -0.5, 0.7), GradCheck.Random(30, 1f, 3, 5, 7));

    private static double RefLogSigmoid(double v)
    {
        // log σ(v) = −log(1 + e^−v) for v ≥ 0, v − log(1 + e^v) otherwise; series for tiny e (double log(1+e) loses it)
        static double Log1p(double e) => e < 1e-5 ? e - e * e / 2 + e * e * e / 3 : Math.Log(1 + e);
        return v >= 0 ? -Log1p(Math.Exp(-v)) : v - Log1p(Math.Exp(v));
    }

    [Fact]
    public void LogSigmoid_ExtremeInputs_AreFiniteAndAccurate()
    {
        float[] xs = [-1e4f, -100f, -80f, -30f, -5f, -1e-3f, 0f, 1e-3f, 5f, 16f, 20f, 30f, 80f, 100f, 1e4f];
        var y = Ops.LogSigmoid(Tensor.FromArray(xs, xs.Length)).ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.True(float.IsFinite(y[i]) && y[i] <= 0f, $"log σ({xs[i]}) = {y[i]}");
            double expected = RefLogSigmoid(xs[i]);
            // relative accuracy in both tails (down to 1e-35, beyond which float results are subnormal)
            if (Math.Abs(expected) > 1e-35) GradCheck.AssertClose(expected, y[i], 0, 1e-5, $"log σ({xs[i]})");
            else Assert.True(Math.Abs(y[i]) < 1e-35, $"log σ({xs[i]}) = {y[i]}");
        }
        // gradient σ(−x) saturates cleanly too
        var x = Tensor.FromArray([-1e4f, 1e4f], 2);
        x.RequiresGrad = true;
        Ops.Sum(Ops.LogSigmoid(x)).Backward();
        Assert.Equal([1f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void Clamp_GradientOnlyStrictlyInside_ZeroAtAndBeyondBounds()
    {
        var x = Tensor.FromArray([-1f, 0.8f, 0.9f, 1f, 1.2f, 1.5f], 6);
        x.RequiresGrad = true;
        var y = Ops.Clamp(x, 0.8f, 1.2f);
        Assert.Equal([0.8f, 0.8f, 0.9f, 1f, 1.2f, 1.2f], y.ToArray());
        Ops.Sum(y).Backward();
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f], x.Grad!.ToArray());
        Assert.Throws<ArgumentException>(() => Ops.Clamp(x, 2f, 1f));
    }

    [Fact]
    public void PpoClippedObjective_GradientMatchesHandDerivation()
    {
        // L = Σ max(−A·r, −A·clip(r, 1−ε, 1+ε)), ε = 0.2: gradient −A where the unclipped term is active, else 0
        float[] rv = [0.5f, 0.9f, 1.0f, 1.1f, 1.5f, 0.5f, 1.5f, 1.2f];
        float[] av = [1f, 1f, -1f, 2f, 1f, -1f, -1f, 1f];
        var r = Tensor.FromArray(rv, rv.Length);
        var adv = Tensor.FromArray(av, av.Length);
        r.RequiresGrad = true;
        var loss = Ops.Sum(Ops.Maximum(-adv * r, -adv * Ops.Clamp(r, 0.8f, 1.2f)));
        loss.Backward();
        // index 0: A>0, r<1−ε → unclipped −A·r larger → grad −1; 4: A>0, r>1+ε → clipped term wins → 0;
        // 5: A<0, r<1−ε → clipped wins → 0; 6: A<0, r>1+ε → unclipped → +1; 7: r = 1+ε tie → first argument → −1
        Assert.Equal([-1f, -1f, 1f, -2f, 0f, 0f, 1f, -1f], r.Grad!.ToArray());
    }

    [Fact]
    public void Unary_LargeTensor_ParallelChunksMatchSingleCall()
    {
        var x = GradCheck.Random(31, 1f, 100_003);
        var expected = new float[x.Size];
        System.Numerics.Tensors.TensorPrimitives.Tanh(x.Span, expected);
        Assert.Equal(expected, Ops.Tanh(x).ToArray());
    }

    // ------------------------------------------------------------------ where

    [Fact]
    public void Where_BroadcastMask_GradCheck()
    {
        var mask = Tensor.FromArray([1f, 0f, 0f, 1f, 1f], 5, 1); // (5, 1) against (5, 3) and (3)
        var cond = mask.ToArray();
        GradCheck.Check(
            x => Ops.Where(mask, x[0], x[1]),
            x => Enumerable.Range(0, 15).Select(i => cond[i / 3] != 0 ? x[0][i] : x[1][i % 3]).ToArray(),
            [GradCheck.Random(40, 1f, 5, 3), GradCheck.Random(41, 1f, 3)]);
    }

    [Fact]
    public void Where_BoolArray_GradCheck_AndIgnoresUnselectedNaN()
    {
        bool[] cond = [true, false, true, false, false, true];
        GradCheck.Check(
            x => Ops.Where(cond, x[0], x[1]),
            x => Enumerable.Range(0, 6).Select(i => cond[i] ? x[0][i] : x[1][0]).ToArray(),
            [GradCheck.Random(42, 1f, 2, 3), GradCheck.Random(43, 1f)]);

        var a = Tensor.FromArray([1f, float.NaN], 2);
        var b = Tensor.FromArray([float.PositiveInfinity, 2f], 2);
        Assert.Equal([1f, 2f], Ops.Where([true, false], a, b).ToArray());
    }

    [Fact]
    public void Where_BadShapes_NameOpAndShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Where(Tensor.Zeros(2, 3), Tensor.Zeros(4), Tensor.Zeros(3)));
        Assert.Contains("Where", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
        var ex2 = Assert.Throws<TensorShapeException>(() => Ops.Where(new bool[5], Tensor.Zeros(2, 3), Tensor.Zeros(3)));
        Assert.Contains("[2, 3]", ex2.Message);
        Assert.Contains("[3]", ex2.Message);
    }

    // ------------------------------------------------------------------ bias add

    [Fact]
    public void BiasAdd_GradCheck() =>
        GradCheck.Check(x => Ops.BiasAdd(x[0], x[1]),
            x => Enumerable.Range(0, 105).Select(i => x[0][i] + x[1][i % 7]).ToArray(),
            [GradCheck.Random(50, 1f, 3, 5, 7), GradCheck.Random(51, 1f, 7)]);

    [Fact]
    public void BiasAdd_Large_EqualsAddAndDoubleColumnSums()
    {
        int rows = 257, cols = 300; // 77K elements: parallel rows and two column-sum blocks
        var x = GradCheck.Random(52, 1f, rows, cols);
        var bias = GradCheck.Random(53, 1f, cols);
        var g = GradCheck.Random(54, 1f, rows, cols);
        bias.RequiresGrad = true;
        var y = Ops.BiasAdd(x, bias);
        Assert.Equal(Ops.Add(x.Detach(), bias.Detach()).ToArray(), y.ToArray());
        y.Backward(g);
        var gv = g.ToArray();
        var db = bias.Grad!.ToArray();
        for (int c = 0; c < cols; c++)
        {
            double s = 0;
            for (int r = 0; r < rows; r++) s += gv[r * cols + c];
            GradCheck.AssertClose(s, db[c], 1e-6, 1e-6, $"dbias[{c}]");
        }
    }

    [Fact]
    public void BiasAdd_BadShapes_NameOpAndShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.BiasAdd(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.Contains("BiasAdd", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    // ------------------------------------------------------------------ dropout

    [Fact]
    public void Dropout_SameSeedSameMask_DifferentSeedDifferentMask()
    {
        var x = Tensor.Ones(1000);
        var y1 = Ops.Dropout(x, 0.25f, new Rng(7), training: true).ToArray();
        var y2 = Ops.Dropout(x, 0.25f, new Rng(7), training: true).ToArray();
        var y3 = Ops.Dropout(x, 0.25f, new Rng(8), training: true).ToArray();
        Assert.Equal(y1, y2);
        Assert.NotEqual(y1, y3);
    }

    [Fact]
    public void Dropout_KeepsRoughlyOneMinusP_AndPreservesMean()
    {
        const float p = 0.3f;
        var y = Ops.Dropout(Tensor.Ones(100_001), p, new Rng(9), training: true).ToArray();
        double zeros = y.Count(v => v == 0f) / (double)y.Length;
        Assert.InRange(zeros, p - 0.01, p + 0.01);
        Assert.All(y, v => Assert.True(v == 0f || v == 1f / (1f - p)));
        Assert.InRange(y.Average(v => (double)v), 0.98, 1.02);
    }

    [Fact]
    public void Dropout_BackwardUsesSameMask_IdentityWhenNotTraining()
    {
        var x = GradCheck.Random(60, 1f, 3, 5, 7);
        x.RequiresGrad = true;
        var y = Ops.Dropout(x, 0.5f, new Rng(11), training: true);
        var g = GradCheck.Random(61, 1f, 3, 5, 7);
        var yv = y.ToArray();
        var xv = x.ToArray();
        y.Backward(g);
        var dx = x.Grad!.ToArray();
        var gv = g.ToArray();
        for (int i = 0; i < yv.Length; i++)
        {
            float mask = yv[i] == 0f ? 0f : 2f; // 1/(1−p)
            Assert.Equal(xv[i] * mask, yv[i]);
            Assert.Equal(gv[i] * mask, dx[i]);
        }
        Assert.Same(x, Ops.Dropout(x, 0.5f, new Rng(1), training: false));
        Assert.Same(x, Ops.Dropout(x, 0f, new Rng(1), training: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(x, 1f, new Rng(1), training: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Dropout(x, -0.1f, new Rng(1), training: true));
    }

    // ------------------------------------------------------------------ operators

    [Fact]
    public void Operators_ComputeTheNamedOps()
    {
        var a = Tensor.FromArray([1f, -2f, 4f], 3);
        var b = Tensor.FromArray([2f], 1);
        Assert.Equal([3f, 0f, 6f], (a + b).ToArray());
        Assert.Equal([-1f, -4f, 2f], (a - b).ToArray());
        Assert.Equal([2f, -4f, 8f], (a * b).ToArray());
        Assert.Equal([0.5f, -1f, 2f], (a / b).ToArray());
        Assert.Equal([-1f, 2f, -4f], (-a).ToArray());
        Assert.Equal([1.5f, -1.5f, 4.5f], (a + 0.5f).ToArray());
        Assert.Equal([1.5f, -1.5f, 4.5f], (0.5f + a).ToArray());
        Assert.Equal([0.5f, -2.5f, 3.5f], (a - 0.5f).ToArray());
        Assert.Equal([0f, 3f, -3f], (1f - a).ToArray());
        Assert.Equal([3f, -6f, 12f], (a * 3f).ToArray());
        Assert.Equal([3f, -6f, 12f], (3f * a).ToArray());
        Assert.Equal([1f / 3f, -2f / 3f, 4f / 3f], (a / 3f).ToArray());
        Assert.Equal([4f, -2f, 1f], (4f / a).ToArray());
    }

    [Fact]
    public void Operators_Expression_GradCheck()
    {
        // y = (a·b + 1 − a/2) / (2 + b·b) − 3·a with b broadcast over rows
        GradCheck.Check(
            x => (x[0] * x[1] + 1f - x[0] / 2f) / (2f + x[1] * x[1]) - 3f * x[0],
            x => BroadcastReference.Binary(x[0], [4, 3], x[1], [3], (a, b) => (a * b + 1 - a / 2) / (2 + b * b) - 3 * a),
            [GradCheck.Random(70, 1f, 4, 3), GradCheck.Random(71, 1f, 3)]);
    }
}
