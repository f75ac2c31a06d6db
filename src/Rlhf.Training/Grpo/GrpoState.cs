using Rlhf.Tensors;
using Rlhf.Training.Data;

namespace Rlhf.Training.Grpo;

/// <summary>
/// GRPO's part of <c>trainer_state.json</c>: the prompt order, the rollout generator, and the best held-out accuracy so
/// far — with the weights and optimizer moments, everything the next iteration depends on.
/// </summary>
/// <param name="Prompts">Position in the training prompts.</param>
/// <param name="Rollouts">The sampling generator's state.</param>
/// <param name="BestAccuracy">Highest held-out accuracy so far (NaN before the first evaluation).</param>
/// <param name="BestIteration">Iteration of <paramref name="BestAccuracy"/> (−1 before).</param>
public sealed record GrpoState(ShuffledOrderState Prompts, RngState Rollouts, double BestAccuracy, int BestIteration);
