using Rlhf.Tensors;
using Rlhf.Training.Grpo;

namespace Rlhf.Training.Tests.Grpo;

public class GrpoLossTests
{
    private static Tensor Leaf(float[] values, int b, int l)
    {
        var t = Tensor.FromArray(values, b, l);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void Clipped_token_level_loss_and_gradient_on_a_hand_example()
    {
        // row 0 (A = 2): ratios 1.5 (clipped at 1.2: no gradient) and 0.9 (inside); row 1 (A = −1): ratio 1.5 (unclipped is
        // the minimum: gradient flows) and a pad. N = 3 real tokens.
        float[] old = [0, 0, 0, 0];
        float[] logP = [MathF.Log(1.5f), MathF.Log(0.9f), MathF.Log(1.5f), 0];
        var x = Leaf(logP, 2, 2);
        var (loss, stats) = GrpoLoss.Compute(x, old, null, [2f, -1f], [1, 1, 1, 0], batchTokens: 3, epsLow: 0.2f, epsHigh: 0.2f, beta: 0);
        // ℓ = −min(ρA, clip(ρ)A): −2.4, −1.8, +1.5 → L = (−2.4 − 1.8 + 1.5) / 3
        Assert.Equal((-2.4 - 1.8 + 1.5) / 3, loss.Item(), 5);
        loss.Backward();
        var g = x.Grad!.ToArray();
        // ∂ℓ/∂logπ = −A·ρ on unclipped tokens, 0 on clipped ones and pads; divided by N
        Assert.Equal(0, g[0], 6);
        Assert.Equal(-2 * 0.9 / 3, g[1], 5);
        Assert.Equal(1 * 1.5 / 3, g[2], 5);
        Assert.Equal(0, g[3], 6);
        Assert.Equal(new GrpoLossStats(3, 1, 0), stats);
    }

    [Fact]
    public void Upper_clip_range_can_differ_from_the_lower_one()
    {
        var x = Leaf([MathF.Log(1.25f)], 1, 1);
        var (loss, stats) = GrpoLoss.Compute(x, [0], null, [1f], [1], 1, epsLow: 0.2f, epsHigh: 0.28f, beta: 0);
        Assert.Equal(-1.25, loss.Item(), 5); // inside [0.8, 1.28]: not clipped
        Assert.Equal(0, stats.ClippedTokens);
    }

    [Fact]
    public void Kl_term_gradient_matches_finite_differences()
    {
        float[] old = [-1.0f, -2.0f, -0.5f, -1.5f];
        float[] refLp = [-1.2f, -1.7f, -0.4f, -1.9f];
        float[] adv = [0.7f, -0.3f];
        float[] mask = [1, 1, 1, 0];
        float[] at = [-1.05f, -1.98f, -0.52f, -1.5f]; // ratios near 1: inside the clip range
        double F(float[] v) => GrpoLoss.Compute(Tensor.FromArray(v, 2, 2), old, refLp, adv, mask, 3, 0.2f, 0.2f, beta: 0.5f).Loss.Item();
        var x = Leaf((float[])at.Clone(), 2, 2);
        var (loss, stats) = GrpoLoss.Compute(x, old, refLp, adv, mask, 3, 0.2f, 0.2f, beta: 0.5f);
        loss.Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < at.Length; i++)
        {
            float h = 1e-2f;
            var plus = (float[])at.Clone(); plus[i] += h;
            var minus = (float[])at.Clone(); minus[i] -= h;
            double numeric = (F(plus) - F(minus)) / (2 * h);
            Assert.True(Math.Abs(numeric - g[i]) < 2e-3, $"token {i}: analytic {g[i]} vs numeric {numeric}");
        }
        // Σ k3 over real tokens: e^(ref − logπ) − (ref − logπ) − 1
        double k3 = 0;
        for (int i = 0; i < 3; i++) { double r = refLp[i] - at[i]; k3 += Math.Exp(r) - r - 1; }
        Assert.Equal(k3, stats.KlSum, 4);
    }

    [Fact]
    public void Chunks_with_the_batch_token_count_add_up_to_the_full_batch_gradient()
    {
        float[] lp = [-0.9f, -1.1f, -0.3f, -2.0f, -0.7f, -1.4f];
        float[] old = [-1f, -1f, -0.4f, -2.1f, -0.5f, -1.4f];
        float[] adv = [1f, -0.5f, 0.25f];
        float[] mask = [1, 1, 1, 0, 1, 1];
        var full = Leaf((float[])lp.Clone(), 3, 2);
        GrpoLoss.Compute(full, old, null, adv, mask, 5, 0.2f, 0.2f, 0).Loss.Backward();
        var a = Leaf(lp[..2], 1, 2);
        var b = Leaf(lp[2..], 2, 2);
        GrpoLoss.Compute(a, old[..2], null, adv[..1], mask[..2], 5, 0.2f, 0.2f, 0).Loss.Backward();
        GrpoLoss.Compute(b, old[2..], null, adv[1..], mask[2..], 5, 0.2f, 0.2f, 0).Loss.Backward();
        var chunked = a.Grad!.ToArray().Concat(b.Grad!.ToArray()).ToArray();
        Assert.Equal(full.Grad!.ToArray(), chunked);
    }
}
