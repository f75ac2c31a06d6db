using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

/// <summary>CrossEntropy, CrossEntropyPerPosition, GatherLogProbs and Entropy (the fused log-softmax family).</summary>
public class CrossEntropyTests
{
    /// <summary>Double reference: log_softmax(x_r)[j] for row r.</summary>
    private static double LogProb(double[] x, int r, int V, int j)
    {
        double max = double.NegativeInfinity, sum = 0;
        for (int k = 0; k < V; k++) max = Math.Max(max, x[r * V + k]);
        for (int k = 0; k < V; k++) sum += Math.Exp(x[r * V + k] - max);
        return x[r * V + j] - max - Math.Log(sum);
    }

    [Fact]
    public void CrossEntropy_GradCheck_WithIgnoreIndexAndWeights()
    {
        int V = 7;
        int[] targets = [3, -100, 0, 6, 2, -100, 5, 1, 4, 0, 6, 2, 3, 3, -100];
        float[] weights = [1f, 9f, 0.5f, 2f, 0f, 1f, 1f, 3f, 1f, 1f, 0.25f, 1f, 1f, 2f, 1f];
        var logits = GradCheck.Random(1, 2f, 3, 5, V);
        GradCheck.Check(
            t => Ops.CrossEntropy(t[0], targets, weights: weights),
            x =>
            {
                double sum = 0, wsum = 0;
                for (int r = 0; r < targets.Length; r++)
                {
                    if (targets[r] == -100) continue;
                    sum -= weights[r] * LogProb(x[0], r, V, targets[r]);
                    wsum += weights[r];
                }
                return [sum / wsum];
            },
            [logits]);
    }

    [Fact]
    public void CrossEntropy_GradCheck_PlainMean_2D()
    {
        int V = 9;
        int[] targets = [8, 0, 4, 4, 1];
        var logits = GradCheck.Random(2, 3f, 5, V);
        GradCheck.Check(
            t => Ops.CrossEntropy(t[0], targets),
            x => [-Enumerable.Range(0, 5).Sum(r => LogProb(x[0], r, V, targets[r])) / 5],
            [logits]);
    }

    [Fact]
    public void CrossEntropy_AllIgnored_IsZeroWithZeroGradient()
    {
        var logits = GradCheck.Random(3, 1f, 2, 4);
        logits.RequiresGrad = true;
        var loss = Ops.CrossEntropy(logits, [-100, -100]);
        Assert.Equal(0f, loss.Item());
        loss.Backward();
        Assert.All(logits.Grad!.ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(0f, Ops.CrossEntropy(logits, [1, 2], weights: [0f, 0f]).Item());
    }

    [Fact]
    public void CrossEntropyPerPosition_GradCheck_IgnoredPositionsAreZero()
    {
        int V = 6;
        int[] targets = [5, -1, 0, 2, 3, -1];
        var logits = GradCheck.Random(4, 2f, 2, 3, V);
        GradCheck.Check(
            t => Ops.CrossEntropyPerPosition(t[0], targets, ignoreIndex: -1),
            x => targets.Select((tg, r) => tg == -1 ? 0.0 : -LogProb(x[0], r, V, tg)).ToArray(),
            [logits]);
        Assert.Equal([2, 3], Ops.CrossEntropyPerPosition(logits, targets, -1).ShapeArray());
    }

    [Fact]
    public void GatherLogProbs_GradCheck_OddShape()
    {
        int V = 11;
        int[] targets = [0, 10, 5, 5, 7, 1];
        var logits = GradCheck.Random(5, 2f, 2, 3, V);
        GradCheck.Check(
            t => Ops.GatherLogProbs(t[0], targets),
            x => targets.Select((tg, r) => LogProb(x[0], r, V, tg)).ToArray(),
            [logits]);
    }

    [Fact]
    public void Entropy_GradCheck_OddShape()
    {
        int V = 13;
        var logits = GradCheck.Random(6, 2f, 3, 5, V);
        GradCheck.Check(
            t => Ops.Entropy(t[0]),
            x =>
            {
                var h = new double[15];
                for (int r = 0; r < 15; r++)
                    for (int j = 0; j < V; j++)
                    {
                        double lp = LogProb(x[0], r, V, j);
                        h[r] -= Math.Exp(lp) * lp;
                    }
                return h;
            },
            [logits]);
    }

    [Fact]
    public void CrossEntropy_LargeVocab_MatchesReferenceAndGatherLogProbs()
    {
        // 96 rows × 8192: the parallel row path and the full-width SIMD loops
        int rows = 96, V = 8192;
        var logits = GradCheck.Random(7, 4f, 4, 24, V);
        var targets = new int[rows];
        var rng = new Rng(8);
        for (int r = 0; r < rows; r++) targets[r] = rng.NextInt(V);
        targets[5] = -100;
        var x = logits.ToArray().Select(v => (double)v).ToArray();
        double expected = 0;
        for (int r = 0; r < rows; r++) if (targets[r] != -100) expected -= LogProb(x, r, V, targets[r]);
        expected /= rows - 1;

        logits.RequiresGrad = true;
        var loss = Ops.CrossEntropy(logits, targets);
        GradCheck.AssertClose(expected, loss.Item(), 1e-5, 1e-5, "loss");
        loss.Backward();
        var grad = logits.Grad!.ToArray();
        foreach (int r in new[] { 0, 5, 50, 95 })
            for (int j = 0; j < V; j += 511)
            {
                double g = targets[r] == -100 ? 0 : (Math.Exp(LogProb(x, r, V, j)) - (j == targets[r] ? 1 : 0)) / (rows - 1);
                GradCheck.AssertClose(g, grad[r * V + j], 1e-9, 1e-4, $"dlogits[{r}, {j}]");
            }

        targets[5] = 17;
        var lp = Ops.GatherLogProbs(logits, targets).ToArray();
        for (int r = 0; r < rows; r += 7) GradCheck.AssertClose(LogProb(x, r, V, targets[r]), lp[r], 1e-5, 1e-5, $"logprob[{r}]");
    }

    [Fact]
    public void CrossEntropy_BadInputs_NameOpShapesAndTarget()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.CrossEntropy(Tensor.Zeros(2, 3, 5), [1, 2, 3]));
        Assert.Contains("CrossEntropy", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[2, 3, 5]", ex.Message);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.CrossEntropy(Tensor.Zeros(2, 5), [1, 5]));
        Assert.Contains("target 5 at position 1", range.Message);
        Assert.Contains("V = 5", range.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.GatherLogProbs(Tensor.Zeros(2, 5), [1, -100]));
        var w = Assert.Throws<TensorShapeException>(() => Ops.CrossEntropy(Tensor.Zeros(2, 5), [1, 2], weights: [1f]));
        Assert.Contains("[2, 5]", w.Message);
    }
}
