using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

/// <summary>The fused LM head + cross-entropy (Ops.LinearCrossEntropy) against a double reference and the unfused ops.</summary>
public class LinearCrossEntropyTests
{
    /// <summary>Double reference: Σ w·(logsumexp(h·Wᵀ) − (h·Wᵀ)[t]) / Σ w over non-ignored rows; x[0] = hidden (N·C), x[1] = weight (V·C).</summary>
    private static double Reference(double[][] x, int[] targets, float[]? weights, int C, int V)
    {
        double sum = 0, wsum = 0;
        var z = new double[V];
        for (int r = 0; r < targets.Length; r++)
        {
            if (targets[r] == -100) continue;
            for (int v = 0; v < V; v++)
            {
                double acc = 0;
                for (int c = 0; c < C; c++) acc += x[0][r * C + c] * x[1][v * C + c];
                z[v] = acc;
            }
            double max = z.Max(), s = z.Sum(v => Math.Exp(v - max));
            double w = weights?[r] ?? 1.0;
            sum += w * (max + Math.Log(s) - z[targets[r]]);
            wsum += w;
        }
        return sum / wsum;
    }

    [Theory]
    [InlineData(0)] // one chunk
    [InlineData(2)] // chunks of 2 rows, the last one short
    public void GradCheck_WithIgnoreIndexAndWeights(int chunkRows)
    {
        int C = 4, V = 7;
        int[] targets = [3, -100, 0, 6, 2, -100, 5, 1, 4];
        float[] weights = [1f, 9f, 0.5f, 2f, 0f, 1f, 1f, 3f, 1f];
        GradCheck.Check(
            t => Ops.LinearCrossEntropy(t[0], t[1], targets, -100, weights, chunkRows),
            x => [Reference(x, targets, weights, C, V)],
            [GradCheck.Random(1, 1f, 3, 3, C), GradCheck.Random(2, 1f, V, C)]);
    }

    [Fact]
    public void EqualsUnfusedPath_LossAndGradients()
    {
        // a few hundred rows, chunked by 37: loss and gradients match MatMul(transB) + CrossEntropy to float rounding
        int N = 300, C = 24, V = 101;
        var rng = new Rng(7);
        var targets = Enumerable.Range(0, N).Select(i => i % 13 == 0 ? -100 : rng.NextInt(V)).ToArray();
        var h = GradCheck.Random(3, 1f, N, C);
        var w = GradCheck.Random(4, 0.5f, V, C);
        var (h1, w1) = (Leaf(h), Leaf(w));
        var fused = Ops.LinearCrossEntropy(h1, w1, targets, -100, null, chunkRows: 37) * 3f; // upstream gradient 3
        var (h2, w2) = (Leaf(h), Leaf(w));
        var plain = Ops.CrossEntropy(Ops.MatMul(h2, w2, transB: true), targets) * 3f;
        GradCheck.AssertClose(plain.Item(), fused.Item(), 1e-6, 1e-6, "loss");
        fused.Backward();
        plain.Backward();
        AssertAllClose(h2.Grad!.ToArray(), h1.Grad!.ToArray(), "d hidden");
        AssertAllClose(w2.Grad!.ToArray(), w1.Grad!.ToArray(), "d weight");
    }

    [Fact]
    public void AddsToAnExistingGradient_AndTrainsOnlyWhatRequiresGrad()
    {
        // tied embedding: the weight already has a gradient from elsewhere; hidden does not require grad
        int C = 5, V = 9;
        int[] targets = [1, 8, 0, 3];
        var h = GradCheck.Random(5, 1f, 4, C);
        var w = Leaf(GradCheck.Random(6, 1f, V, C));
        w.GradBuffer().Fill(0.5f);
        Ops.LinearCrossEntropy(h, w, targets).Backward();
        var w2 = Leaf(GradCheck.Random(6, 1f, V, C));
        Ops.CrossEntropy(Ops.MatMul(h, w2, transB: true), targets).Backward();
        AssertAllClose(w2.Grad!.ToArray().Select(g => g + 0.5f).ToArray(), w.Grad!.ToArray(), "d weight");
        Assert.Null(h.Grad);
    }

    [Fact]
    public void AllIgnored_IsZeroWithZeroGradients()
    {
        var h = Leaf(GradCheck.Random(8, 1f, 2, 3));
        var w = Leaf(GradCheck.Random(9, 1f, 5, 3));
        var loss = Ops.LinearCrossEntropy(h, w, [-100, -100]);
        Assert.Equal(0f, loss.Item());
        loss.Backward();
        Assert.All(h.Grad!.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(w.Grad!.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void BadInput_GetsClearErrors()
    {
        var h = GradCheck.Random(8, 1f, 2, 3);
        var w = GradCheck.Random(9, 1f, 5, 3);
        Assert.Contains("targets [3]", Assert.Throws<TensorShapeException>(() => Ops.LinearCrossEntropy(h, w, [0, 1, 2])).Message);
        Assert.Contains("weight (V, C)", Assert.Throws<TensorShapeException>(() => Ops.LinearCrossEntropy(h, GradCheck.Random(1, 1f, 5, 4), [0, 1])).Message);
        Assert.Contains("target 5 at position 1", Assert.Throws<ArgumentOutOfRangeException>(() => Ops.LinearCrossEntropy(h, w, [0, 5])).Message);
    }

    private static Tensor Leaf(Tensor t)
    {
        var c = t.Clone();
        c.RequiresGrad = true;
        return c;
    }

    private static void AssertAllClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) GradCheck.AssertClose(expected[i], actual[i], 1e-6, 1e-5, $"{what}[{i}]");
    }
}
