namespace Rlhf.Tensors;

/// <summary>How a model's weight matrices are stored.</summary>
public enum Dtype
{
    /// <summary>IEEE float32: trainable, the engine's only compute type.</summary>
    F32,

    /// <summary>
    /// bfloat16 (the upper 16 bits of a float32, rounded to nearest even): half the memory, forward-only. Used for
    /// frozen models (reference policy, reward model, judge); products still accumulate in float32.
    /// </summary>
    BF16,
}
