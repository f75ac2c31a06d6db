using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>LayerNorm over the last dimension with gain γ (init 1) and shift β (init 0).</summary>
public sealed class LayerNorm(string prefix, int features, float eps)
{
    /// <summary>γ (features).</summary>
    public Tensor Weight { get; } = Parameter.Create($"{prefix}.weight", Tensor.Ones(features));

    /// <summary>β (features).</summary>
    public Tensor Bias { get; } = Parameter.Create($"{prefix}.bias", Tensor.Zeros(features));

    /// <summary>(..., C) → (..., C).</summary>
    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight, Bias, eps);
}
