using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>Marks a tensor as a trainable parameter with its checkpoint key.</summary>
public static class Parameter
{
    /// <summary>Sets <see cref="Tensor.Name"/> and <see cref="Tensor.RequiresGrad"/> and returns the tensor.</summary>
    public static Tensor Create(string name, Tensor value)
    {
        value.Name = name;
        value.RequiresGrad = true;
        return value;
    }
}
