using Rlhf.Training.Ppo;

namespace Rlhf.Training.Tests.Ppo;

public class GaeTests
{
    [Fact]
    public void Matches_a_hand_computed_example_with_padding()
    {
        // row 0: 3 tokens; row 1: 2 tokens + 1 pad (its pad reward/value must be ignored). γ = 0.9, λ = 0.5.
        float[] rewards = [0f, 0f, 1f, 0.5f, -1f, 7f];
        float[] values = [0.5f, 0.2f, 0.4f, 0.1f, 0.3f, 9f];
        var (adv, ret) = Gae.Compute(rewards, values, [3, 2], 3, gamma: 0.9f, lambda: 0.5f);
        // row 0 by hand: δ2 = 1 − 0.4 = 0.6; δ1 = 0.9·0.4 − 0.2 = 0.16; δ0 = 0.9·0.2 − 0.5 = −0.32
        //   Â2 = 0.6; Â1 = 0.16 + 0.45·0.6 = 0.43; Â0 = −0.32 + 0.45·0.43 = −0.1265; R = Â + V
        // row 1: δ1 = −1 − 0.3 = −1.3; δ0 = 0.5 + 0.9·0.3 − 0.1 = 0.67; Â0 = 0.67 + 0.45·(−1.3) = 0.085
        float[] expectedAdv = [-0.1265f, 0.43f, 0.6f, 0.085f, -1.3f, 0f];
        float[] expectedRet = [0.3735f, 0.63f, 1.0f, 0.185f, -1.0f, 0f];
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(expectedAdv[i], adv[i], 5);
            Assert.Equal(expectedRet[i], ret[i], 5);
        }
    }

    [Fact]
    public void Lambda_one_gives_monte_carlo_returns_and_lambda_zero_the_td_error()
    {
        float[] rewards = [0.2f, -0.1f, 1f, 0.3f];
        float[] values = [0.4f, -0.3f, 0.25f, 0.9f];
        var (mc, ret) = Gae.Compute(rewards, values, [4], 4, gamma: 1f, lambda: 1f);
        for (int t = 0; t < 4; t++)
        {
            float tail = rewards.Skip(t).Sum();
            Assert.Equal(tail - values[t], mc[t], 5);
            Assert.Equal(tail, ret[t], 5);
        }
        var (td, _) = Gae.Compute(rewards, values, [4], 4, gamma: 0.9f, lambda: 0f);
        for (int t = 0; t < 4; t++)
            Assert.Equal(rewards[t] + 0.9f * (t < 3 ? values[t + 1] : 0f) - values[t], td[t], 5);
    }

    [Fact]
    public void Whitening_over_real_tokens_gives_mean_zero_and_unit_std_and_zero_pads()
    {
        float[] x = [1f, 2f, 3f, 100f, 4f, 5f];
        float[] mask = [1, 1, 1, 0, 1, 1];
        Gae.Whiten(x, mask);
        var real = x.Where((_, i) => mask[i] == 1).Select(v => (double)v).ToArray();
        double mean = real.Average(), var = real.Sum(v => (v - mean) * (v - mean)) / (real.Length - 1);
        Assert.Equal(0, mean, 6);
        Assert.Equal(1, var, 4);
        Assert.Equal(0f, x[3]);
        Assert.Equal(-1.2649, x[0], 3); // (1 − 3)/√2.5
    }
}
