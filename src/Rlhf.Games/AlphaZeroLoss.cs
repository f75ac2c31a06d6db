using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// AlphaGo Zero's loss (Silver et al. 2017, eq. 1) without the L2 term (AdamW's weight decay plays that part):
/// L = (1/B)·Σ_i [ −Σ_a π_i(a)·log p_i(a) + c·(z_i − v_i)² ], π the search's visit distribution, p the network's
/// masked softmax, z the game outcome for the side to move.
/// </summary>
public static class AlphaZeroLoss
{
    /// <summary>Total loss and its parts. logits (B, 7) masked, value (B), π (B, 7), z (B).</summary>
    public static (Tensor Total, float Policy, float Value) Compute(Tensor logits, Tensor value, Tensor pi, Tensor z, float valueWeight)
    {
        var policy = Ops.Neg(Ops.Mean(Ops.Sum(Ops.Mul(pi, Ops.LogSoftmax(logits)), 1))); // soft-target cross-entropy
        var diff = Ops.Sub(value, z);
        var mse = Ops.Mean(Ops.Mul(diff, diff));
        return (Ops.Add(policy, Ops.Scale(mse, valueWeight)), policy.Item(), mse.Item());
    }
}
