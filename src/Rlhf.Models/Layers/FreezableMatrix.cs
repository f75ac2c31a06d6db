using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// A layer's weight matrix: a trainable float32 parameter until the model is frozen (<see cref="ICausalLm.FreezeTo"/>).
/// Frozen to <see cref="Dtype.F32"/> it only stops requiring gradients; frozen to <see cref="Dtype.BF16"/> it is rounded
/// to a <see cref="Bf16Matrix"/> (half the memory) and the float32 array is released, so the model is forward-only:
/// <see cref="Tensor"/> then throws, which is what training, saving or copying a frozen model runs into.
/// </summary>
public sealed class FreezableMatrix
{
    private Tensor? _f32;
    private Bf16Matrix? _bf16;

    /// <summary>Wraps <paramref name="parameter"/> (a named rank-2 parameter).</summary>
    public FreezableMatrix(Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        _f32 = parameter;
        Name = parameter.Name ?? "weight";
    }

    /// <summary>The checkpoint key.</summary>
    public string Name { get; }

    /// <summary>The float32 parameter; throws once the matrix is stored in bf16.</summary>
    public Tensor Tensor => _f32 ?? throw new InvalidOperationException(
        $"{Name} is stored in bf16 because the model was frozen (FreezeTo(BF16)): a frozen model is forward-only and has no float32 weights to train, save or copy; "
        + "load the checkpoint again for that");

    /// <summary>The bf16 matrix once frozen to bf16, else null.</summary>
    public Bf16Matrix? Bf16 => _bf16;

    /// <summary>Stops gradients; with <see cref="Dtype.BF16"/> also rounds to bf16 and drops the float32 array. Freezing again to the same dtype does nothing.</summary>
    public void FreezeTo(Dtype dtype)
    {
        if (_bf16 is not null)
        {
            if (dtype != Dtype.BF16) throw new InvalidOperationException($"{Name} is already stored in bf16; it cannot return to float32 (load the checkpoint again)");
            return;
        }
        var weight = _f32!;
        weight.RequiresGrad = false;
        weight.Grad = null;
        if (dtype == Dtype.BF16)
        {
            _bf16 = Bf16Matrix.Round(weight);
            _f32 = null;
        }
    }

    /// <summary>Row lookup (token or position embedding): (idsShape..., C).</summary>
    public Tensor Embed(int[] ids, int[] idsShape) =>
        _bf16 is { } w ? Ops.Embedding(ids, idsShape, w) : Ops.Embedding(ids, idsShape, Tensor);

    /// <summary>x·W + b with W stored (in, out).</summary>
    public Tensor Linear(Tensor x, Tensor bias) => _bf16 is { } w ? Ops.Linear(x, w, bias) : Ops.Linear(x, Tensor, bias);

    /// <summary>x·Wᵀ with W stored (out, in).</summary>
    public Tensor MatMulTransposed(Tensor x) => _bf16 is { } w ? Ops.MatMul(x, w, transB: true) : Ops.MatMul(x, Tensor, transB: true);
}
