using Rlhf.Tensors;

namespace Rlhf.Training.Dpo;

/// <summary>
/// The DPO loss (Rafailov et al. 2023, "Direct Preference Optimization: Your Language Model is Secretly a Reward
/// Model", eq. 7; TRL <c>loss_type="sigmoid"</c>), with optional label smoothing ε (conservative DPO, Mitchell 2023,
/// "A note on DPO with noisy preferences"; TRL <c>label_smoothing</c>):
/// <code>
/// ℓ(h) = −(1 − ε)·log σ(β·h) − ε·log σ(−β·h)
/// ∂ℓ/∂h = −β·(1 − ε)·σ(−β·h) + β·ε·σ(β·h)
/// </code>
/// ε = 0 is plain DPO: −log σ(β·h), which is log 2 at h = 0 (policy = reference). ε &gt; 0 assumes each label is flipped
/// with probability ε, so the loss stops pushing once σ(β·h) reaches 1 − ε. Default β = 0.1 (TRL, OpenRLHF, DS-Chat).
/// </summary>
public sealed class DpoLoss : IPreferenceLoss
{
    /// <summary>The config name of this loss.</summary>
    public const string LossName = "sigmoid";

    /// <summary>A DPO loss with temperature <paramref name="beta"/> &gt; 0 and label smoothing <paramref name="labelSmoothing"/> in [0, 0.5).</summary>
    public DpoLoss(float beta = 0.1f, float labelSmoothing = 0f)
    {
        if (!(beta > 0 && float.IsFinite(beta))) throw new ArgumentOutOfRangeException(nameof(beta), beta, "DPO β must be a positive number");
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5f)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 0.5)");
        (Beta, LabelSmoothing) = (beta, labelSmoothing);
    }

    /// <inheritdoc/>
    public string Name => LossName;

    /// <inheritdoc/>
    public float Beta { get; }

    /// <summary>ε: the assumed probability that a label is flipped (0 = plain DPO).</summary>
    public float LabelSmoothing { get; }

    /// <inheritdoc/>
    public Tensor Compute(Tensor h)
    {
        ArgumentNullException.ThrowIfNull(h);
        var logits = Ops.Scale(h, Beta);                                     // (P): β·h
        var loss = Ops.Scale(Ops.LogSigmoid(logits), -(1f - LabelSmoothing)); // −(1 − ε)·log σ(βh)
        if (LabelSmoothing > 0) loss = loss - Ops.Scale(Ops.LogSigmoid(-logits), LabelSmoothing); // − ε·log σ(−βh)
        return loss;                                                         // (P)
    }
}
