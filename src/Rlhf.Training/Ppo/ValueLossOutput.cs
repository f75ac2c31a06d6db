using Rlhf.Tensors;

namespace Rlhf.Training.Ppo;

/// <summary>The clipped value loss (scalar, with gradient) and its clip fraction (<see cref="PpoLoss.Value"/>).</summary>
/// <param name="Loss">The loss.</param>
/// <param name="ClipFraction">Fraction of real tokens where the clipped error was the larger.</param>
public sealed record ValueLossOutput(Tensor Loss, double ClipFraction);
