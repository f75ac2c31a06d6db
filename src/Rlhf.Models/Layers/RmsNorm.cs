using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>RMSNorm over the last dimension with gain w (init 1), HF key <c>{prefix}.weight</c>.</summary>
public sealed class RmsNorm(string prefix, int features, float eps)
{
    /// <summary>w (features).</summary>
    public Tensor Weight { get; } = Parameter.Create($"{prefix}.weight", Tensor.Ones(features));

    /// <summary>(..., C) → (..., C).</summary>
    public Tensor Forward(Tensor x) => Ops.RmsNorm(x, Weight, eps);
}
