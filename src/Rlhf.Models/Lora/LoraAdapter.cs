using Rlhf.Models.Layers;
using Rlhf.Tensors;
using Rlhf.Tensors.Autograd;

namespace Rlhf.Models.Lora;

/// <summary>
/// One LoRA adapter on a linear projection (Hu et al. 2021, eq. 3; PEFT <c>lora.Linear</c>):
/// <code>
/// y = base(x) + s · B·(A·dropout(x))        s = α / r
/// A: (r, in)   PEFT init kaiming_uniform(a = √5): U(−1/√in, 1/√in)
/// B: (out, r)  zeros, so a fresh adapter leaves the model unchanged
/// </code>
/// Forward and backward are the engine's MatMul, Scale and Dropout ops, so only A and B (the leaves that require
/// grad) receive gradients; the base weight is frozen. Tensor names are PEFT's state-dict keys
/// (<c>base_model.model.&lt;module&gt;.lora_A.weight</c>), which also key the optimizer state.
/// </summary>
public sealed class LoraAdapter
{
    private readonly LoraAdapters _owner;

    internal LoraAdapter(LoraAdapters owner, string modulePath, ILoraTarget target, int rank, float scaling, float dropout, Rng init)
    {
        _owner = owner;
        ModulePath = modulePath;
        Target = target;
        int inF = target.WeightIsInOut ? target.Weight.Shape[0] : target.Weight.Shape[1];
        int outF = target.WeightIsInOut ? target.Weight.Shape[1] : target.Weight.Shape[0];
        float bound = 1f / MathF.Sqrt(inF);
        A = Parameter.Create($"{LoraCheckpoint.KeyPrefix}{modulePath}.lora_A.weight", Tensor.Rand(init, -bound, bound, rank, inF));
        B = Parameter.Create($"{LoraCheckpoint.KeyPrefix}{modulePath}.lora_B.weight", Tensor.Zeros(outF, rank));
        Scaling = scaling;
        Dropout = dropout;
    }

    /// <summary>The projection's module path in the HF model (<c>model.layers.0.self_attn.q_proj</c>, <c>transformer.h.0.attn.c_attn</c>).</summary>
    public string ModulePath { get; }

    /// <summary>The projection this adapter sits on.</summary>
    public ILoraTarget Target { get; }

    /// <summary>Down-projection A (r, in).</summary>
    public Tensor A { get; }

    /// <summary>Up-projection B (out, r).</summary>
    public Tensor B { get; }

    /// <summary>s = α / r.</summary>
    public float Scaling { get; }

    /// <summary>Dropout probability on the adapter input during training.</summary>
    public float Dropout { get; }

    /// <summary>
    /// <paramref name="baseOutput"/> + s·B·(A·dropout(x)) for input <paramref name="x"/> (..., in), or
    /// <paramref name="baseOutput"/> itself while the adapters are disabled (<see cref="LoraAdapters.Disable"/>).
    /// Dropout is drawn only in a training forward (grad mode on and A trainable).
    /// </summary>
    public Tensor Apply(Tensor x, Tensor baseOutput)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(baseOutput);
        if (!_owner.Enabled) return baseOutput;
        bool training = GradMode.IsEnabled && A.RequiresGrad;
        var h = Dropout > 0 && training ? Ops.Dropout(x, Dropout, _owner.DropoutRng, training: true) : x;
        var down = Ops.Scale(Ops.MatMul(h, A, transB: true), Scaling);     // (..., r), scaled on the narrow side
        return baseOutput + Ops.MatMul(down, B, transB: true);              // (..., out)
    }

    /// <summary>
    /// The update in the base weight's own layout: s·B·A (out, in) for torch.nn.Linear, its transpose (in, out) for
    /// GPT-2's Conv1D (PEFT <c>get_delta_weight</c> with <c>fan_in_fan_out</c>).
    /// </summary>
    public Tensor DeltaWeight()
    {
        using var noGrad = Tensor.NoGrad();
        var delta = Target.WeightIsInOut
            ? Ops.MatMul(A, B, transA: true, transB: true)                  // (in, out) = (B·A)ᵀ = Aᵀ·Bᵀ
            : Ops.MatMul(B, A);                                              // (out, in)
        return Ops.Scale(delta, Scaling).Contiguous();
    }
}
