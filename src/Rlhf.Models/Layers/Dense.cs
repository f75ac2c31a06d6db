using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// y = x·Wᵀ (+ b) with W stored (out, in) as <c>torch.nn.Linear</c> stores it, so Llama-family checkpoint tensors
/// load without a transpose (GPT-2's Conv1D layers use <see cref="Linear"/>, stored (in, out)). The (out, in) layout
/// is also the fast one for decoding: each output is a dot along contiguous memory.
/// </summary>
public sealed class Dense : ILoraTarget
{
    private readonly FreezableMatrix _weight;

    /// <summary>Weight (out, in); throws once the layer is frozen to bf16.</summary>
    public Tensor Weight => _weight.Tensor;

    /// <summary>Bias (out), or null for a projection without bias.</summary>
    public Tensor? Bias { get; }

    /// <summary>Creates the layer with W ~ N(0, std²) and, when <paramref name="bias"/>, b = 0.</summary>
    public Dense(string prefix, int inFeatures, int outFeatures, bool bias, Rng rng, float std)
    {
        _weight = new FreezableMatrix(Parameter.Create($"{prefix}.weight", Tensor.Randn(rng, std, outFeatures, inFeatures)));
        Bias = bias ? Parameter.Create($"{prefix}.bias", Tensor.Zeros(outFeatures)) : null;
    }

    /// <summary>Weight, then bias if any.</summary>
    public IEnumerable<Tensor> Parameters() => Bias is null ? [Weight] : [Weight, Bias];

    /// <summary>A LoRA adapter on this projection (<see cref="Lora.LoraAdapters"/>), or null.</summary>
    public Lora.LoraAdapter? Adapter { get; set; }

    /// <inheritdoc />
    public bool WeightIsInOut => false;

    /// <summary>(..., in) → (..., out), plus the adapter's low-rank update when one is attached and enabled.</summary>
    public Tensor Forward(Tensor x)
    {
        var y = _weight.MatMulTransposed(x);
        if (Bias is not null) y = Ops.BiasAdd(y, Bias);
        return Adapter is null ? y : Adapter.Apply(x, y);
    }

    /// <summary>Forward-only from now on: see <see cref="FreezableMatrix.FreezeTo"/> (the bias stays float32, without gradient).</summary>
    public void FreezeTo(Dtype dtype)
    {
        _weight.FreezeTo(dtype);
        if (Bias is not null) Frozen.StopGradients([Bias]);
    }
}
