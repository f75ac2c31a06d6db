using Rlhf.Models;
using Rlhf.Tensors;
using Rlhf.Training.Data;

namespace Rlhf.Training.Common;

/// <summary>Held-out loss, shared by the trainers.</summary>
public static class Evaluator
{
    /// <summary>
    /// Mean cross-entropy (nats per token) over every counted target (≠ −100) of <paramref name="batches"/>, i.e.
    /// Σ_batches n_b·loss_b / Σ n_b, run under <see cref="Tensor.NoGrad"/> (no graph, no gradients). Returns NaN when
    /// no target is counted. Deterministic: batches are taken in order and losses summed in double.
    /// </summary>
    public static double MeanLoss(ICausalLm model, IEnumerable<(int[] Inputs, int[] Targets, int BatchSize, int SeqLen)> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        using var noGrad = Tensor.NoGrad();
        double sum = 0;
        long count = 0;
        foreach (var (inputs, targets, b, t) in batches)
        {
            int n = 0;
            foreach (int target in targets) if (target != SftCollator.IgnoreIndex) n++;
            if (n == 0) continue;
            // fused LM head + cross-entropy: the (B·T × V) logits are never held whole
            sum += (double)model.LanguageModelLoss(model.Forward(inputs, b, t), targets).Item() * n;
            count += n;
        }
        return count == 0 ? double.NaN : sum / count;
    }
}
