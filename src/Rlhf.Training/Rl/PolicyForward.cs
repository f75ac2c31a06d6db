using Rlhf.Models;
using Rlhf.Tensors;

namespace Rlhf.Training.Rl;

/// <summary>
/// Recomputes response log-probs with autograd — the quantity every policy-gradient and preference loss is built from
/// (PPO ratios, GRPO, DPO sequence log-likelihoods, KL to the reference). Logits are divided by the sampling
/// temperature so that, for the policy that sampled, the result equals the sampler's log-probs (TRL does the same).
/// </summary>
public static class PolicyForward
{
    /// <summary>One forward of <paramref name="model"/> over <paramref name="batch"/>.</summary>
    public static PolicyOutput Run(ICausalLm model, SequenceBatch batch, float temperature = 1f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        if (!(temperature > 0)) throw new ArgumentException($"PolicyForward: temperature must be > 0, got {temperature}");
        int B = batch.Batch, P = batch.PromptLength, L = batch.ResponseLength;
        var hidden = model.Forward(batch.Ids, B, batch.Time, batch.AttentionMask);   // (B, T, C)
        var h = Ops.Slice(hidden, 1, P - 1, L);                                       // (B, L, C): states that predict the response
        var logits = model.Logits(h);                                                 // (B, L, V)
        if (temperature != 1f) logits = Ops.Scale(logits, 1f / temperature);
        var logProbs = Ops.GatherLogProbs(logits, batch.Targets);                     // (B, L)
        return new PolicyOutput(logProbs, logits, h);
    }

    /// <summary>Response log-probs (B·L, row-major, pads included: mask with the batch) without gradients, in chunks of <paramref name="rows"/>.</summary>
    public static float[] LogProbs(ICausalLm model, SequenceBatch batch, float temperature = 1f, int rows = 16)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var noGrad = Tensor.NoGrad();
        if (batch.Batch <= rows) return Run(model, batch, temperature).LogProbs.ToArray();
        var result = new float[batch.Batch * batch.ResponseLength];
        for (int start = 0; start < batch.Batch; start += rows)
        {
            var part = batch.Rows(start, Math.Min(rows, batch.Batch - start));
            Run(model, part, temperature).LogProbs.ToArray().CopyTo(result, start * batch.ResponseLength);
        }
        return result;
    }
}
