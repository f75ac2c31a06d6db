using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// y = x·W + b with W stored (in, out) — the orientation of GPT-2's Conv1D, so HF checkpoint tensors load without a
/// transpose. Backward comes from the MatMul and BiasAdd ops.
/// </summary>
public sealed class Linear : ILoraTarget
{
    private readonly FreezableMatrix _weight;

    /// <summary>Weight (in, out); throws once the layer is frozen to bf16.</summary>
    public Tensor Weight => _weight.Tensor;

    /// <summary>True once the weight is stored in bf16 (<see cref="FreezeTo"/>).</summary>
    public bool IsBf16 => _weight.Bf16 is not null;

    /// <summary>Bias (out).</summary>
    public Tensor Bias { get; }

    /// <summary>Creates the layer with W ~ N(0, std²), b = 0, named <paramref name="prefix"/>.weight / .bias.</summary>
    public Linear(string prefix, int inFeatures, int outFeatures, Rng rng, float std)
    {
        _weight = new FreezableMatrix(Parameter.Create($"{prefix}.weight", Tensor.Randn(rng, std, inFeatures, outFeatures)));
        Bias = Parameter.Create($"{prefix}.bias", Tensor.Zeros(outFeatures));
    }

    /// <summary>A LoRA adapter on this projection (<see cref="Lora.LoraAdapters"/>), or null.</summary>
    public Lora.LoraAdapter? Adapter { get; set; }

    /// <inheritdoc />
    public bool WeightIsInOut => true;

    /// <summary>(..., in) → (..., out), plus the adapter's low-rank update when one is attached and enabled.</summary>
    public Tensor Forward(Tensor x)
    {
        var y = _weight.Linear(x, Bias);
        return Adapter is null ? y : Adapter.Apply(x, y);
    }

    /// <summary>Forward-only from now on: see <see cref="FreezableMatrix.FreezeTo"/> (the bias stays float32, without gradient).</summary>
    public void FreezeTo(Dtype dtype)
    {
        _weight.FreezeTo(dtype);
        Frozen.StopGradients([Bias]);
    }
}
