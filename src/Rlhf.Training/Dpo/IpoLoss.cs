using Rlhf.Tensors;

namespace Rlhf.Training.Dpo;

/// <summary>
/// The IPO loss (Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from Human Preferences",
/// eq. 17; TRL <c>loss_type="ipo"</c>, which reuses β as τ):
/// <code>
/// ℓ(h) = (h − 1/(2τ))²        ∂ℓ/∂h = 2·(h − 1/(2τ))
/// </code>
/// A squared loss that regresses the log-ratio margin to a finite target 1/(2τ) instead of pushing it to infinity, so
/// deterministic (always-the-same-winner) preferences do not drive the policy arbitrarily far from the reference.
/// h uses summed sequence log-likelihoods, as in the paper; TRL divides each by the response length for IPO (not done here).
/// </summary>
public sealed class IpoLoss : IPreferenceLoss
{
    /// <summary>The config name of this loss.</summary>
    public const string LossName = "ipo";

    /// <summary>An IPO loss with regularisation τ = <paramref name="tau"/> &gt; 0.</summary>
    public IpoLoss(float tau = 0.1f)
    {
        if (!(tau > 0 && float.IsFinite(tau))) throw new ArgumentOutOfRangeException(nameof(tau), tau, "IPO τ must be a positive number");
        Beta = tau;
    }

    /// <inheritdoc/>
    public string Name => LossName;

    /// <summary>τ (the implicit reward is still reported as τ·log-ratio, as TRL does).</summary>
    public float Beta { get; }

    /// <inheritdoc/>
    public Tensor Compute(Tensor h)
    {
        ArgumentNullException.ThrowIfNull(h);
        var d = h - 1f / (2f * Beta); // (P)
        return d * d;                 // (P)
    }
}
