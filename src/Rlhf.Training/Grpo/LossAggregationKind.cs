namespace Rlhf.Training.Grpo;

/// <summary>How GRPO's per-token losses are averaged into one number (<see cref="ILossAggregation"/>; TRL GRPOConfig <c>loss_type</c>).</summary>
public enum LossAggregationKind
{
    /// <summary>Σ over all tokens / the batch's token count (DAPO; TRL "dapo"): every token weighs the same. The default.</summary>
    TokenMean,

    /// <summary>Mean over each response's tokens, then over the group's responses, then over groups (DeepSeekMath eq. 3; TRL "grpo").</summary>
    SequenceMean,

    /// <summary>Σ over all tokens / (responses × --max-new-tokens), a constant (Dr. GRPO, Liu et al. 2025; TRL "dr_grpo"): no length bias.</summary>
    Constant,
}
