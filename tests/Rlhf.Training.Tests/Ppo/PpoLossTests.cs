using Rlhf.Tensors;
using Rlhf.Training.Ppo;

namespace Rlhf.Training.Tests.Ppo;

public class PpoLossTests
{
    [Fact]
    public void Clipped_surrogate_matches_a_hand_computed_example_value_and_gradient()
    {
        // tokens: ρ = 1.1, A = 1 (inside the clip: gradient −A·ρ/N); ρ = 1.5, A = 1 (clipped: no gradient);
        // ρ = 0.5, A = −1 (clipped: no gradient); ρ = 1.5, A = −2 (unclipped term larger: gradient −A·ρ/N); a pad.
        float[] ratio = [1.1f, 1.5f, 0.5f, 1.5f, 1f];
        float[] old = [-1f, -2f, -0.5f, -3f, -1f];
        float[] adv = [1f, 1f, -1f, -2f, 5f];
        float[] mask = [1, 1, 1, 1, 0];
        var logP = Tensor.FromArray(ratio.Select((r, i) => MathF.Log(r) + old[i]).ToArray(), 1, 5);
        logP.RequiresGrad = true;
        var result = PpoLoss.Policy(logP, old, adv, mask, clip: 0.2f);
        // loss = mean(−1.1, −1.2, 0.8, 3.0) = 0.375
        Assert.Equal(0.375f, result.Loss.Item(), 5);
        Assert.Equal(0.5, result.ClipFraction, 12);
        result.Loss.Backward();
        float[] expected = [-1.1f / 4, 0, 0, 3f / 4, 0];
        var grad = logP.Grad!.ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], grad[i], 5);
        double approx = ratio.Take(4).Average(r => 0.5 * Math.Log(r) * Math.Log(r));
        Assert.Equal(approx, result.ApproxKl, 5);
    }

    [Fact]
    public void Clipped_value_loss_matches_a_hand_computed_example_value_and_gradient()
    {
        // V_old = 0, R = 1, ε = 0.2: V = 0.5 (clipped to 0.2 has the larger error: no gradient); V = 0.1 (inside: tie,
        // gradient (V − R)/N); V = −0.5 (unclipped larger: gradient); V = 1.5 (clipped 0.2 larger: no gradient); a pad.
        float[] v = [0.5f, 0.1f, -0.5f, 1.5f, 3f];
        float[] old = [0, 0, 0, 0, 0];
        float[] ret = [1, 1, 1, 1, 1];
        float[] mask = [1, 1, 1, 1, 0];
        var values = Tensor.FromArray(v, 1, 5);
        values.RequiresGrad = true;
        var result = PpoLoss.Value(values, old, ret, mask, clip: 0.2f);
        Assert.Equal(0.5 * (0.64 + 0.81 + 2.25 + 0.64) / 4, result.Loss.Item(), 5);
        Assert.Equal(0.5, result.ClipFraction, 12);
        result.Loss.Backward();
        float[] expected = [0, -0.9f / 4, -1.5f / 4, 0, 0];
        var grad = values.Grad!.ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], grad[i], 5);
    }

    [Fact]
    public void Both_losses_match_finite_differences_of_a_double_reference()
    {
        var rng = new Rng(21);
        const int n = 24;
        var old = Enumerable.Range(0, n).Select(_ => -1f - rng.NextFloat()).ToArray();
        var x = Enumerable.Range(0, n).Select(i => old[i] + 0.6f * (rng.NextFloat() - 0.5f)).ToArray(); // ratios in ~[0.74, 1.35]
        var adv = Enumerable.Range(0, n).Select(_ => 2 * rng.NextFloat() - 1).ToArray();
        var mask = Enumerable.Range(0, n).Select(i => i % 7 == 6 ? 0f : 1f).ToArray();
        const double eps = 0.2;
        double PolicyRef(double[] lp)
        {
            double s = 0, m = 0;
            for (int i = 0; i < n; i++)
            {
                if (mask[i] == 0) continue;
                double r = Math.Exp(lp[i] - old[i]);
                s += Math.Max(-adv[i] * r, -adv[i] * Math.Clamp(r, 1 - eps, 1 + eps));
                m++;
            }
            return s / m;
        }
        double ValueRef(double[] v)
        {
            double s = 0, m = 0;
            for (int i = 0; i < n; i++)
            {
                if (mask[i] == 0) continue;
                double c = old[i] + Math.Clamp(v[i] - old[i], -eps, eps);
                s += Math.Max((v[i] - adv[i]) * (v[i] - adv[i]), (c - adv[i]) * (c - adv[i]));
                m++;
            }
            return 0.5 * s / m;
        }
        var policyInput = Tensor.FromArray(x, 2, 12);
        policyInput.RequiresGrad = true;
        var policy = PpoLoss.Policy(policyInput, old, adv, mask, (float)eps);
        Assert.Equal(PolicyRef(x.Select(v => (double)v).ToArray()), policy.Loss.Item(), 5);
        policy.Loss.Backward();
        CheckGradient(PolicyRef, x, policyInput.Grad!.ToArray());

        // value loss: old values as V_old, returns = adv, values = x
        var valueInput = Tensor.FromArray(x, 2, 12);
        valueInput.RequiresGrad = true;
        var value = PpoLoss.Value(valueInput, old, adv, mask, (float)eps);
        Assert.Equal(ValueRef(x.Select(v => (double)v).ToArray()), value.Loss.Item(), 5);
        value.Loss.Backward();
        CheckGradient(ValueRef, x, valueInput.Grad!.ToArray());
        Assert.InRange(policy.ClipFraction, 0.01, 0.99); // both regimes are exercised
        Assert.InRange(value.ClipFraction, 0.01, 0.99);
    }

    private static void CheckGradient(Func<double[], double> f, float[] x, float[] analytic)
    {
        var p = x.Select(v => (double)v).ToArray();
        const double h = 1e-6;
        for (int i = 0; i < p.Length; i++)
        {
            double saved = p[i];
            p[i] = saved + h;
            double plus = f(p);
            p[i] = saved - h;
            double minus = f(p);
            p[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-4 + 1e-3 * Math.Abs(numeric), $"d/dx[{i}]: numeric {numeric}, analytic {analytic[i]}");
        }
    }
}
