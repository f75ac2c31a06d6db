using Rlhf.Training.Rl;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Scoring;

public class WeightedRewardNanTests
{
    private sealed class Fixed(string name, float reward, float? spread = null) : IRewardFunction
    {
        public string Name => name;
        public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch) => batch.Select(_ => new RewardOutcome(reward, spread)).ToList();
    }

    [Fact]
    public void A_non_finite_term_makes_the_combined_reward_non_finite_so_the_trainer_drops_the_sample()
    {
        var combined = new WeightedReward([(new Fixed("a", 2f, 0.5f), 0.7), (new Fixed("n", float.NaN), 0.3)]);
        Assert.True(float.IsNaN(combined.Score([new RewardRequest("p", "c")])[0].Reward));
        Assert.Equal(1.4f, new WeightedReward([(new Fixed("a", 2f), 0.7)]).Score([new RewardRequest("p", "c")])[0].Reward, 5);
    }
}
