using Rlhf.Training.Grpo;

namespace Rlhf.Training.Tests.Grpo;

public class AdvantageTests
{
    // group 0: rewards 1, 0, 0, 1 (mean 0.5, unbiased std √(1/3)); group 1: all 1 (no signal)
    private static readonly double[] Rewards = [1, 0, 0, 1, 1, 1, 1, 1];
    private static readonly int[] Groups = [0, 0, 0, 0, 1, 1, 1, 1];

    [Fact]
    public void Group_normalised_advantage_on_a_hand_example()
    {
        double s = Math.Sqrt(1.0 / 3) + GroupNormalizedAdvantage.Epsilon;
        var a = new GroupNormalizedAdvantage().Compute(Rewards, Groups);
        Assert.Equal([0.5 / s, -0.5 / s, -0.5 / s, 0.5 / s, 0, 0, 0, 0], a.Select(x => Math.Round(x, 12)), new RoundedComparer());
        Assert.Equal(0.866, a[0], 3); // 0.5 / 0.57735
        var noStd = new GroupNormalizedAdvantage(scaleByStd: false).Compute(Rewards, Groups);
        Assert.Equal([0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0], noStd);
    }

    [Fact]
    public void Rloo_baseline_is_the_mean_of_the_other_samples()
    {
        var a = new RlooAdvantage().Compute(Rewards, Groups);
        // r = 1: others are {0, 0, 1} → 1 − 1/3; r = 0: others {1, 0, 1} → 0 − 2/3
        Assert.Equal(2.0 / 3, a[0], 12);
        Assert.Equal(-2.0 / 3, a[1], 12);
        Assert.All(a[4..], x => Assert.Equal(0, x, 12));
        // equals k/(k − 1)·(r − mean)
        Assert.Equal(4.0 / 3 * 0.5, a[3], 12);
    }

    [Fact]
    public void Uneven_groups_and_single_samples()
    {
        double[] r = [3, 1, 5, 2];
        int[] g = [7, 7, 9, 7];
        var grpo = new GroupNormalizedAdvantage(false).Compute(r, g);
        Assert.Equal([1, -1, 0, 0], grpo);
        var rloo = new RlooAdvantage().Compute(r, g);
        Assert.Equal([1.5, -1.5, 0, 0], rloo);
        Assert.Throws<ArgumentException>(() => new RlooAdvantage().Compute(r, [1]));
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;
        public int GetHashCode(double obj) => 0;
    }
}
