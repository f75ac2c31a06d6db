namespace Rlhf.Training.Ppo;

/// <summary>
/// Ziegler et al. 2019's adaptive KL coefficient (lm-human-preferences <c>AdaptiveKLController</c>, copied by TRL and
/// trlX), a proportional controller that steers the sequence KL towards <see cref="Target"/>:
/// <code>
/// e = clip(KL / target − 1, −0.2, 0.2)
/// β ← β · (1 + e · n / horizon)
/// </code>
/// with n the episodes in the batch. KL above target raises β (a stronger leash), below target lowers it.
/// </summary>
public sealed class AdaptiveKlController : IKlController
{
    /// <summary>Starts at <paramref name="initialBeta"/>.</summary>
    public AdaptiveKlController(double initialBeta, double target, int horizon)
    {
        if (!(target > 0)) throw new ArgumentOutOfRangeException(nameof(target), target, "AdaptiveKlController: target must be > 0");
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        (Beta, Target, Horizon) = (initialBeta, target, horizon);
    }

    /// <inheritdoc/>
    public double Beta { get; private set; }

    /// <summary>Target sequence KL in nats.</summary>
    public double Target { get; }

    /// <summary>Episodes over which β may change by a factor of about e^0.2.</summary>
    public int Horizon { get; }

    /// <inheritdoc/>
    public void Update(double meanKl, int episodes)
    {
        if (!double.IsFinite(meanKl)) return; // a poisoned batch must not poison β
        double error = Math.Clamp(meanKl / Target - 1, -0.2, 0.2);
        Beta *= 1 + error * episodes / Horizon;
    }

    /// <inheritdoc/>
    public void Restore(double beta) => Beta = beta;
}
