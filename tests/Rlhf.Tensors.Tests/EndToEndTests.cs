using Rlhf.Tensors;
using Rlhf.Tensors.Optim;

namespace Rlhf.Tensors.Tests;

/// <summary>Ops, autograd and AdamW together: a tiny MLP classifier trained end to end.</summary>
public class EndToEndTests
{
    private sealed record Mlp(Tensor W1, Tensor B1, Tensor G, Tensor Beta, Tensor W2)
    {
        public static Mlp Create(ulong seed)
        {
            var rng = new Rng(seed);
            Tensor P(string name, Tensor t) { t.RequiresGrad = true; t.Name = name; return t; }
            return new Mlp(P("w1", Tensor.Randn(rng, 0.3f, 8, 32)), P("b1", Tensor.Zeros(32)),
                P("ln.g", Tensor.Ones(32)), P("ln.b", Tensor.Zeros(32)), P("w2", Tensor.Randn(rng, 0.3f, 32, 5)));
        }

        public Tensor[] Parameters => [W1, B1, G, Beta, W2];

        // (N, 8) → Linear → GELU → LayerNorm → Linear → (N, 5) logits
        public Tensor Logits(Tensor x) =>
            Ops.MatMul(Ops.LayerNorm(Ops.Gelu(Ops.BiasAdd(Ops.MatMul(x, W1), B1)), G, Beta), W2);
    }

    private static (Tensor X, int[] Y) Data(int n)
    {
        var rng = new Rng(99);
        var x = Tensor.Randn(rng, 1f, n, 8);
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (x[i, 0] > 0 ? 1 : 0) + (x[i, 1] > 0 ? 2 : 0) + (x[i, 2] > 1 ? 1 : 0); // classes 0..4
        return (x, y);
    }

    private static (float[] Losses, float[] Weights) Train(int steps)
    {
        var model = Mlp.Create(1);
        var (x, y) = Data(64);
        var opt = new AdamW(model.Parameters, new AdamWConfig(LearningRate: 1e-2f));
        var losses = new float[steps];
        for (int s = 0; s < steps; s++)
        {
            opt.ZeroGrad();
            var loss = Ops.CrossEntropy(model.Logits(x), y);
            loss.Backward();
            GradClip.ClipGlobalNorm(model.Parameters, 1f);
            opt.Step();
            losses[s] = loss.Item();
        }
        return (losses, model.Parameters.SelectMany(p => p.ToArray()).ToArray());
    }

    [Fact]
    public void TinyMlp_LossFalls_AndTwoRunsAreBitIdentical()
    {
        var (l1, w1) = Train(60);
        var (l2, w2) = Train(60);
        Assert.Equal(l1, l2);
        Assert.Equal(w1, w2);
        Assert.True(l1[^1] < 0.5f * l1[0], $"loss {l1[0]} → {l1[^1]} did not halve");
    }

    [Fact]
    public void GradientAccumulation_TwoHalves_EqualsFullBatch()
    {
        var (x, y) = Data(64);
        var full = Mlp.Create(2);
        Ops.CrossEntropy(full.Logits(x), y).Backward();

        var acc = Mlp.Create(2);
        for (int h = 0; h < 2; h++)
        {
            var xh = Ops.Slice(x, 0, 32 * h, 32);
            var loss = Ops.Scale(Ops.CrossEntropy(acc.Logits(xh), y[(32 * h)..(32 * h + 32)]), 0.5f);
            loss.Backward();
        }
        for (int p = 0; p < full.Parameters.Length; p++)
        {
            var a = full.Parameters[p].Grad!.ToArray();
            var b = acc.Parameters[p].Grad!.ToArray();
            for (int i = 0; i < a.Length; i++)
                GradCheck.AssertClose(a[i], b[i], 1e-6, 1e-4, $"{full.Parameters[p].Name}[{i}]");
        }
    }
}
