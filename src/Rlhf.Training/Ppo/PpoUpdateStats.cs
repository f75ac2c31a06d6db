namespace Rlhf.Training.Ppo;

/// <summary>Means over the minibatch updates of one iteration (NaN when none ran), and how many were skipped.</summary>
/// <param name="PolicyLoss">Clipped surrogate loss.</param>
/// <param name="ValueLoss">Clipped value loss.</param>
/// <param name="ClipFraction">Fraction of tokens whose ratio was clipped.</param>
/// <param name="ValueClipFraction">Fraction of tokens whose value was clipped.</param>
/// <param name="ApproxKl">½·mean (log π_θ − log π_old)²: how far the epochs moved the policy from the rollout's.</param>
/// <param name="Entropy">Mean per-token entropy of the sampling distribution (first epoch: the rollout policy).</param>
/// <param name="PtxLoss">Pretraining cross-entropy (NaN without PPO-ptx).</param>
/// <param name="GradNorm">Policy gradient norm before clipping.</param>
/// <param name="Updates">Minibatch updates applied.</param>
/// <param name="Skipped">Minibatch updates skipped for a non-finite loss or gradient.</param>
public sealed record PpoUpdateStats(double PolicyLoss, double ValueLoss, double ClipFraction, double ValueClipFraction, double ApproxKl,
    double Entropy, double PtxLoss, double GradNorm, int Updates, int Skipped);
