using Rlhf.Tensors;

namespace Rlhf.Training.Rl;

/// <summary>
/// Per-token Monte-Carlo estimators of KL(π ‖ π_ref) from one sample a ~ π, written with the log-ratio
/// r = log π_ref(a) − log π(a) (Schulman 2020, "Approximating KL divergence", http://joschu.net/blog/kl-approx.html):
/// <list type="bullet">
/// <item>k1 = −r = log π(a) − log π_ref(a): unbiased, high variance, can be negative per sample (InstructGPT's penalty);</item>
/// <item>k2 = ½ r²: biased, low variance, always ≥ 0;</item>
/// <item>k3 = (e^r − 1) − r: unbiased, low variance, always ≥ 0 (GRPO's KL term, DeepSeekMath eq. 4).</item>
/// </list>
/// Summed over a response's tokens they estimate the sequence KL.
/// </summary>
public static class KlEstimator
{
    /// <summary>k1 = log π − log π_ref.</summary>
    public static double K1(double logP, double logRef) => logP - logRef;

    /// <summary>k2 = ½ (log π_ref − log π)².</summary>
    public static double K2(double logP, double logRef) { double r = logRef - logP; return 0.5 * r * r; }

    /// <summary>k3 = e^r − 1 − r with r = log π_ref − log π.</summary>
    public static double K3(double logP, double logRef) { double r = logRef - logP; return Math.Exp(r) - 1 - r; }

    /// <summary>
    /// k3 per token with autograd through <paramref name="logP"/> (B, L) against constant <paramref name="logRef"/>
    /// (B, L): e^(ref − logP) − (ref − logP) − 1; ∂/∂logP = 1 − e^(ref − logP).
    /// </summary>
    public static Tensor K3(Tensor logP, Tensor logRef)
    {
        ArgumentNullException.ThrowIfNull(logP);
        ArgumentNullException.ThrowIfNull(logRef);
        var r = logRef - logP;        // (B, L)
        return Ops.Exp(r) - r - 1f;   // (B, L)
    }

    /// <summary>Exact KL(p ‖ q) = Σ p log(p/q) of two distributions given as log-probabilities (test oracle, diagnostics).</summary>
    public static double Exact(ReadOnlySpan<double> logP, ReadOnlySpan<double> logQ)
    {
        if (logP.Length != logQ.Length) throw new ArgumentException($"KlEstimator.Exact: {logP.Length} vs {logQ.Length} entries");
        double kl = 0;
        for (int i = 0; i < logP.Length; i++) if (!double.IsNegativeInfinity(logP[i])) kl += Math.Exp(logP[i]) * (logP[i] - logQ[i]);
        return kl;
    }
}
