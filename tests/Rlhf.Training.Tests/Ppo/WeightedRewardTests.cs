using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Ppo;

public class WeightedRewardTests
{
    private sealed class Fixed(string name, float reward, float? spread = null) : IRewardFunction
    {
        public string Name => name;
        public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch) => batch.Select(_ => new RewardOutcome(reward, spread)).ToList();
    }

    [Fact]
    public void Combines_rewards_and_spreads_with_weights()
    {
        var combined = new WeightedReward([(new Fixed("a", 2f, 0.5f), 0.7), (new Fixed("b", -1f), 0.3)]);
        var o = combined.Score([new RewardRequest("p", "c"), new RewardRequest("q", "d")]);
        Assert.Equal(2, o.Count);
        Assert.Equal(0.7 * 2 - 0.3, o[0].Reward, 5);
        Assert.Equal(0.35f, o[1].Spread!.Value, 5);
        Assert.Equal("0.7·a + 0.3·b", combined.Name);
        Assert.True(float.IsNaN(new WeightedReward([(new Fixed("n", float.NaN), 1.0)]).Score([new RewardRequest("p", "c")])[0].Reward));
    }
}
