using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

public class LayerNormTests
{
    /// <summary>Double reference: per row of C, (x − μ)/√(σ² + eps)·γ + β.</summary>
    private static double[] RefLayerNorm(double[] x, double[] gamma, double[] beta, int C, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / C; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < C; i++) mean += x[r * C + i];
            mean /= C;
            for (int i = 0; i < C; i++) var += (x[r * C + i] - mean) * (x[r * C + i] - mean);
            var /= C;
            for (int i = 0; i < C; i++) y[r * C + i] = (x[r * C + i] - mean) / Math.Sqrt(var + eps) * gamma[i] + beta[i];
        }
        return y;
    }

    [Fact]
    public void LayerNorm_GradCheck_OddShape()
    {
        var x = GradCheck.Random(1, 1.5f, 3, 5, 7);
        var gamma = GradCheck.Random(2, 1f, 7);
        var beta = GradCheck.Random(3, 1f, 7);
        GradCheck.Check(t => Ops.LayerNorm(t[0], t[1], t[2]), x => RefLayerNorm(x[0], x[1], x[2], 7, 1e-5), [x, gamma, beta]);
    }

    [Fact]
    public void LayerNorm_GradCheck_WideRowsManyChunks()
    {
        // 70 rows cross the 32-row dγ/dβ chunks; C = 19 exercises vector + scalar tail
        var x = GradCheck.Random(4, 1f, 70, 19);
        var gamma = GradCheck.Random(5, 1f, 19);
        var beta = GradCheck.Random(6, 1f, 19);
        GradCheck.Check(t => Ops.LayerNorm(t[0], t[1], t[2], 1e-3f), x => RefLayerNorm(x[0], x[1], x[2], 19, 1e-3), [x, gamma, beta]);
    }

    [Fact]
    public void LayerNormKernel_EqualsReference_Lengths1To257()
    {
        var rng = new Rng(9);
        for (int n = 1; n <= 257; n++)
        {
            var x = new float[n]; rng.FillUniform(x, -3f, 5f);
            var g = new float[n]; rng.FillUniform(g, 0.5f, 1.5f);
            var b = new float[n]; rng.FillUniform(b, -1f, 1f);
            var dy = new float[n]; rng.FillUniform(dy, -1f, 1f);
            var y = new float[n]; var yRef = new float[n];
            var (m, rs) = LayerNormKernel.ForwardRow(x, g, b, 1e-5f, y);
            var (mRef, rsRef) = LayerNormReference.ForwardRow(x, g, b, 1e-5f, yRef);
            GradCheck.AssertClose(mRef, m, 1e-5, 1e-5, $"n={n} mean");
            GradCheck.AssertClose(rsRef, rs, 1e-5, 1e-5, $"n={n} rstd");
            var dx = new float[n]; var dg = new float[n]; var db = new float[n];
            var dxRef = new float[n]; var dgRef = new float[n]; var dbRef = new float[n];
            LayerNormKernel.BackwardRow(x, dy, g, mRef, rsRef, dx, dg, db);
            LayerNormReference.BackwardRow(x, dy, g, mRef, rsRef, dxRef, dgRef, dbRef);
            for (int i = 0; i < n; i++)
            {
                GradCheck.AssertClose(yRef[i], y[i], 1e-5, 1e-5, $"n={n} y[{i}]");
                GradCheck.AssertClose(dxRef[i], dx[i], 1e-5, 1e-4, $"n={n} dx[{i}]");
                GradCheck.AssertClose(dgRef[i], dg[i], 1e-6, 1e-5, $"n={n} dgamma[{i}]");
                GradCheck.AssertClose(dbRef[i], db[i], 0, 0, $"n={n} dbeta[{i}]");
            }
        }
    }

    [Fact]
    public void LayerNorm_LargeInput_IsBitIdenticalAcrossRuns_AndMatchesReference()
    {
        // 512 × 384: forward and backward take the parallel paths
        var x = GradCheck.Random(7, 1f, 2, 256, 384);
        var gamma = GradCheck.Random(8, 0.2f, 384);
        var beta = GradCheck.Random(9, 0.2f, 384);
        var dy = GradCheck.Random(10, 1f, 2, 256, 384);
        float[][] Run()
        {
            var (xs, gs, bs) = (x.Clone(), gamma.Clone(), beta.Clone());
            xs.RequiresGrad = gs.RequiresGrad = bs.RequiresGrad = true;
            var y = Ops.LayerNorm(xs, gs, bs);
            var yv = y.ToArray();
            y.Backward(dy);
            return [yv, xs.Grad!.ToArray(), gs.Grad!.ToArray(), bs.Grad!.ToArray()];
        }
        var first = Run();
        var second = Run();
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);

        var expected = RefLayerNorm(x.ToArray().Select(v => (double)v).ToArray(), gamma.ToArray().Select(v => (double)v).ToArray(),
            beta.ToArray().Select(v => (double)v).ToArray(), 384, 1e-5);
        for (int i = 0; i < expected.Length; i += 97) GradCheck.AssertClose(expected[i], first[0][i], 1e-5, 1e-4, $"y[{i}]");
        var dyArr = dy.ToArray();
        for (int c = 0; c < 384; c += 37)
        {
            double dbeta = 0;
            for (int r = 0; r < 512; r++) dbeta += dyArr[r * 384 + c];
            GradCheck.AssertClose(dbeta, first[3][c], 1e-4, 1e-4, $"dbeta[{c}]");
        }
    }

    [Fact]
    public void LayerNorm_GammaShapeMismatch_NamesOpAndBothShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.LayerNorm(Tensor.Zeros(2, 8), Tensor.Zeros(7), Tensor.Zeros(8)));
        Assert.Contains("LayerNorm", ex.Message);
        Assert.Contains("[7]", ex.Message);
        Assert.Contains("[2, 8]", ex.Message);
    }
}
