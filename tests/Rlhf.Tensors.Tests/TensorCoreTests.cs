using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

/// <summary>Views, the autograd tape (accumulation, NoGrad, graph freeing) and shape errors.</summary>
public class TensorCoreTests
{
    [Fact]
    public void Reshape_OfContiguous_IsAViewSharingStorage()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var y = Ops.Reshape(x, 3, -1);
        Assert.Same(x.Storage, y.Storage);
        Assert.Equal([3, 2], y.ShapeArray());
        Assert.Throws<TensorShapeException>(() => Ops.Reshape(x, 4, -1));
    }

    [Fact]
    public void Transpose_IsAStridedView_WithCorrectElements()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var t = Ops.Transpose(x, 0, 1);
        Assert.Same(x.Storage, t.Storage);
        Assert.False(t.IsContiguous);
        Assert.Equal([1f, 4, 2, 5, 3, 6], t.ToArray());
        Assert.Equal(6f, t[2, 1]);
    }

    [Fact]
    public void Slice_IsAView_AndRejectsOutOfRange()
    {
        var x = Tensor.FromArray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 3, 4);
        var s = Ops.Slice(x, 1, 1, 2);
        Assert.Same(x.Storage, s.Storage);
        Assert.Equal([1f, 2, 5, 6, 9, 10], s.ToArray());
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Slice(x, 1, 3, 2));
        Assert.Contains("[3, 4]", ex.Message);
    }

    [Fact]
    public void ViewOps_GradCheck_ThroughMatMul()
    {
        // x (2,3,4) → permute (4,2,3) → slice [1,3) of dim 0 → (2,2,3) → reshape (4,3) → · W (3,2) → (4,2)
        var x = GradCheck.Random(11, 1f, 2, 3, 4);
        var w = GradCheck.Random(12, 1f, 3, 2);
        GradCheck.Check(
            t => Ops.MatMul(Ops.Reshape(Ops.Slice(Ops.Permute(t[0], 2, 0, 1), 0, 1, 2), 4, 3), t[1]),
            r =>
            {
                var y = new double[8];
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        for (int j = 0; j < 2; j++)
                        {
                            double s = 0;
                            for (int c = 0; c < 3; c++) s += r[0][b * 12 + c * 4 + a + 1] * r[1][c * 2 + j];
                            y[(a * 2 + b) * 2 + j] = s;
                        }
                return y;
            },
            [x, w]);
    }

    [Fact]
    public void Backward_AccumulatesAcrossMicroBatches_UntilZeroGrad()
    {
        var w = Tensor.FromArray([1f, 2f], 2, 1);
        w.RequiresGrad = true;
        var x1 = Tensor.FromArray([3f, 4f], 1, 2);
        var x2 = Tensor.FromArray([5f, 6f], 1, 2);
        Ops.MatMul(x1, w).Backward(); // d/dw = x1ᵀ
        Ops.MatMul(x2, w).Backward(); // += x2ᵀ
        Assert.Equal([8f, 10f], w.Grad!.ToArray());
        w.ZeroGrad();
        Assert.Null(w.Grad);
        Ops.MatMul(x1, w).Backward();
        Assert.Equal([3f, 4f], w.Grad!.ToArray());
    }

    [Fact]
    public void NoGrad_RecordsNothing_AndNests()
    {
        var w = Tensor.FromArray([1f, 2f], 2, 1);
        w.RequiresGrad = true;
        var x = Tensor.FromArray([3f, 4f], 1, 2);
        using (Tensor.NoGrad())
        {
            using (Tensor.NoGrad()) { }
            var y = Ops.MatMul(x, w);
            Assert.False(y.RequiresGrad);
            Assert.True(y.IsLeaf);
            Assert.Throws<InvalidOperationException>(() => y.Backward());
        }
        Assert.True(Ops.MatMul(x, w).RequiresGrad);
    }

    [Fact]
    public void Backward_SharedSubexpression_SumsBothPaths()
    {
        // y = (x·w)ᵀ·(x·w) uses h = x·w twice; dL/dw = 2·xᵀ·h for L = sum(y) with 1×1 y
        var x = Tensor.FromArray([1f, 2f, 3f], 1, 3);
        var w = Tensor.FromArray([0.5f, -1f, 2f], 3, 1);
        w.RequiresGrad = true;
        var h = Ops.MatMul(x, w); // 1×1: 0.5 − 2 + 6 = 4.5
        var y = Ops.MatMul(h, h, transA: true);
        Assert.Equal(20.25f, y.Item());
        y.Backward();
        Assert.Equal([9f, 18f, 27f], w.Grad!.ToArray());
    }

    [Fact]
    public void Backward_NonScalarWithoutGradient_Throws()
    {
        var w = Tensor.Ones(2, 2);
        w.RequiresGrad = true;
        var y = Ops.MatMul(w, w);
        var ex = Assert.Throws<TensorShapeException>(() => y.Backward());
        Assert.Contains("[2, 2]", ex.Message);
    }

    [Fact]
    public void Rng_SameSeed_SameStream_AndStateResumesExactly()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        var xa = new float[257];
        var xb = new float[257];
        a.FillNormal(xa, 0, 1);
        b.FillNormal(xb, 0, 1);
        Assert.Equal(xa, xb);
        var state = a.GetState();
        float next = a.NextNormal();
        Assert.Equal(next, Rng.FromState(state).NextNormal());
        Assert.NotEqual(new Rng(43).NextUInt64(), new Rng(42).NextUInt64());
    }

    [Fact]
    public void Rng_Normal_HasUnitMomentsRoughly()
    {
        var x = new float[100_000];
        new Rng(5).FillNormal(x, 0, 1);
        double mean = x.Average(v => (double)v), var = x.Average(v => (double)v * v) - mean * mean;
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(var, 0.98, 1.02);
    }
}
