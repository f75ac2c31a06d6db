using Rlhf.Models.Layers;
using Rlhf.Tensors;

namespace Rlhf.Models.Heads;

/// <summary>
/// Scalar value per token for PPO's critic: V(s_t) = h_t·w + b on the trunk's hidden states (TRL's
/// <c>ValueHead</c>; keys <c>v_head.summary.weight</c> (C, 1) and <c>v_head.summary.bias</c>, Conv1D orientation).
/// </summary>
public sealed class ValueHead(int nEmbd, Rng rng)
{
    /// <summary>The projection C → 1.</summary>
    public Linear Summary { get; } = new("v_head.summary", nEmbd, 1, rng, 0.02f);

    /// <summary>Parameters.</summary>
    public IReadOnlyList<Tensor> Parameters() => [Summary.Weight, Summary.Bias];

    /// <summary>(B, T, C) → (B, T) values.</summary>
    public Tensor Forward(Tensor hidden) => Ops.Reshape(Summary.Forward(hidden), hidden.Shape[0], hidden.Shape[1]);
}
