using Rlhf.Training.Common;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Rl;

public class DroppedIterationWatchTests
{
    [Fact]
    public void Fails_at_the_limit_of_consecutive_all_dropped_iterations_and_a_usable_one_resets()
    {
        var watch = new DroppedIterationWatch("ppo", limit: 3);
        watch.Observe(1, 0, 8);
        watch.Observe(2, 0, 8);
        watch.Observe(3, 1, 8); // one usable sample resets the count
        Assert.Equal(0, watch.Consecutive);
        watch.Observe(4, 0, 8);
        watch.Observe(5, 0, 8);
        var e = Assert.Throws<TrainingException>(() => watch.Observe(6, 0, 8, "reward NaN"));
        Assert.Contains("ppo: every sample of 3 iterations in a row (up to iteration 6)", e.Message);
        Assert.Contains("reward NaN", e.Message);
    }
}
