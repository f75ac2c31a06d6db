using Rlhf.Training.Ppo;

namespace Rlhf.Training.Tests.Ppo;

public class KlControllerTests
{
    [Fact]
    public void Adaptive_controller_raises_beta_above_target_and_lowers_it_below()
    {
        var high = new AdaptiveKlController(0.1, target: 6, horizon: 10000);
        high.Update(meanKl: 9, episodes: 64);       // e = clip(9/6 − 1) = 0.2 (clipped from 0.5)
        Assert.Equal(0.1 * (1 + 0.2 * 64 / 10000.0), high.Beta, 12);
        var low = new AdaptiveKlController(0.1, target: 6, horizon: 10000);
        low.Update(meanKl: 5.4, episodes: 64);      // e = −0.1
        Assert.Equal(0.1 * (1 - 0.1 * 64 / 10000.0), low.Beta, 12);
        var onTarget = new AdaptiveKlController(0.1, 6, 100);
        onTarget.Update(6, 64);
        Assert.Equal(0.1, onTarget.Beta, 12);
        // repeated excess KL keeps raising β, geometrically
        for (int i = 0; i < 100; i++) high.Update(100, 64);
        Assert.True(high.Beta > 0.1 * Math.Pow(1.00128, 100));
        // a non-finite KL leaves β alone
        low.Update(double.NaN, 64);
        Assert.Equal(0.1 * (1 - 0.1 * 64 / 10000.0), low.Beta, 12);
    }

    [Fact]
    public void Fixed_controller_never_moves_and_both_restore()
    {
        var fixedKl = new FixedKlController(0.05);
        fixedKl.Update(100, 64);
        Assert.Equal(0.05, fixedKl.Beta);
        fixedKl.Restore(0.2);
        Assert.Equal(0.2, fixedKl.Beta);
        var adaptive = new AdaptiveKlController(0.05, 6, 10000);
        adaptive.Restore(0.3);
        Assert.Equal(0.3, adaptive.Beta);
    }
}
