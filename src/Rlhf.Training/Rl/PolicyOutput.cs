using Rlhf.Tensors;

namespace Rlhf.Training.Rl;

/// <summary>
/// A teacher-forced pass over a <see cref="SequenceBatch"/>, restricted to the response columns:
/// <see cref="LogProbs"/> (B, L) = log π(a_j | s_j) of each response token, <see cref="Logits"/> (B, L, V) the
/// temperature-scaled logits they come from (for entropy), <see cref="Hidden"/> (B, L, C) the trunk's hidden states at
/// the predicting positions (for a value head on a shared trunk). All carry gradients unless computed under NoGrad.
/// </summary>
public sealed record PolicyOutput(Tensor LogProbs, Tensor Logits, Tensor Hidden);
