using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// Imitation loss L = −(1/B)·Σ_i log π(a*_i | s_i) + c·(1/B)·Σ_i (v(s_i) − z_i)², a* the expert's move, π the masked
/// softmax over legal columns, z ∈ {−1, 0, 1} the final outcome for the side to move. The policy term is AlphaGo's
/// supervised-learning objective (Silver et al. 2016, §"Supervised learning of policy networks"); the value term is
/// AlphaGo Zero's mean-squared value loss (Silver et al. 2017, eq. 1).
/// </summary>
public static class ImitationLoss
{
    /// <summary>The total loss and its policy and value parts. logits (B, 7) masked, value (B), moves (B), outcomes (B).</summary>
    public static (Tensor Total, float Policy, float Value) Compute(Tensor logits, Tensor value, int[] moves, Tensor outcomes, float valueWeight)
    {
        var policy = Ops.CrossEntropy(logits, moves);
        var diff = Ops.Sub(value, outcomes);
        var mse = Ops.Mean(Ops.Mul(diff, diff));
        return (Ops.Add(policy, Ops.Scale(mse, valueWeight)), policy.Item(), mse.Item());
    }
}
