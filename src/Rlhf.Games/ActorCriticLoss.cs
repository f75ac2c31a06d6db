using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// Actor-critic policy-gradient loss on finished games (REINFORCE with a learned baseline, Williams 1992; the
/// advantage form of A2C, Mnih et al. 2016):
/// L = −(1/N)·Σ_t A_t·log π(a_t|s_t) + c_v·(1/N)·Σ_t (V(s_t) − z_t)² − β·(1/N)·Σ_t H(π(·|s_t)),
/// A_t = z_t − V(s_t) (V detached), z_t ∈ {+1, 0, −1} the game's outcome for the learner (γ = 1, reward only at the end).
/// </summary>
public static class ActorCriticLoss
{
    /// <summary>Total loss and its parts. logits (N, 7) masked, value (N), actions (N), outcomes z (N).</summary>
    public static (Tensor Total, float Policy, float Value, float Entropy) Compute(Tensor logits, Tensor value, int[] actions, float[] outcomes,
        float valueCoef, float entropyCoef)
    {
        int n = actions.Length;
        var v = value.ToArray();
        var adv = new float[n];
        for (int i = 0; i < n; i++) adv[i] = outcomes[i] - v[i]; // 1. advantages from the detached baseline
        var logp = Ops.GatherLogProbs(logits, actions);                                       // (N)
        var policy = Ops.Neg(Ops.Mean(Ops.Mul(logp, Tensor.FromArray(adv, n))));             // 2. −E[A·log π]
        var diff = Ops.Sub(value, Tensor.FromArray(outcomes, n));
        var mse = Ops.Mean(Ops.Mul(diff, diff));                                              // 3. value regression
        var entropy = Ops.Mean(Ops.Entropy(logits));                                          // 4. exploration bonus
        var total = Ops.Sub(Ops.Add(policy, Ops.Scale(mse, valueCoef)), Ops.Scale(entropy, entropyCoef));
        return (total, policy.Item(), mse.Item(), entropy.Item());
    }
}
