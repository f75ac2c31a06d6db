using Rlhf.Tensors;

namespace Rlhf.Training.Ppo;

/// <summary>The clipped-surrogate loss (scalar, with gradient) and its diagnostics (<see cref="PpoLoss.Policy"/>).</summary>
/// <param name="Loss">The loss.</param>
/// <param name="ClipFraction">Fraction of real tokens whose ratio was clipped.</param>
/// <param name="ApproxKl">½·mean (log π_θ − log π_old)² over real tokens.</param>
public sealed record PolicyLossOutput(Tensor Loss, double ClipFraction, double ApproxKl);
