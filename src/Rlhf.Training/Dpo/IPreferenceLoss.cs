using Rlhf.Tensors;

namespace Rlhf.Training.Dpo;

/// <summary>
/// A direct preference-optimisation loss on the policy's log-ratio margin
/// h = (log π(y⁺|x) − log π_ref(y⁺|x)) − (log π(y⁻|x) − log π_ref(y⁻|x)) of each pair (sequence log-likelihoods summed
/// over the response tokens). Variants are one type each (<see cref="DpoLoss"/>, <see cref="IpoLoss"/>); the trainer
/// only ever calls this interface.
/// </summary>
public interface IPreferenceLoss
{
    /// <summary>Name in configs, logs and the CLI's <c>--loss</c> (e.g. <c>sigmoid</c>, <c>ipo</c>).</summary>
    string Name { get; }

    /// <summary>β: the implicit reward of a response is β·(log π − log π_ref) (for IPO this is τ).</summary>
    float Beta { get; }

    /// <summary>Per-pair losses (P) of margins <paramref name="h"/> (P), differentiable through h.</summary>
    Tensor Compute(Tensor h);
}
