namespace Rlhf.Training.BestOfN;

/// <summary>
/// KL(π_bon ‖ π) of the best-of-n policy against the sampling policy: the analytic formula
/// <code>KL_bon(n) = log n − (n − 1)/n</code>
/// (as used by Stiennon et al. 2020, arXiv 2009.01325, and for every BoN curve of Gao et al. 2022, arXiv 2210.10760).
/// It assumes all n samples are distinct with probability 1; Beirami et al. 2024 ("Theoretical guarantees on the
/// best-of-n alignment policy", arXiv 2401.01879) prove it is only an UPPER bound on the true KL (loose when the policy
/// puts much mass on few responses, e.g. a low-entropy model: with two equally likely outputs the true KL stays
/// ≤ log 2), so curves plotted against it are shifted right.
/// </summary>
public static class BestOfNKl
{
    /// <summary>log n − (n − 1)/n nats; 0 for n = 1.</summary>
    public static double Analytic(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return Math.Log(n) - (n - 1.0) / n;
    }
}
