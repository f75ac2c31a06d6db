using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>y = tanh x. Backward: dx += g·(1 − y²).</summary>
    public static Tensor Tanh(Tensor x) => Unary("Tanh", x,
        static (x, y) => TensorPrimitives.Tanh(x, y),
        static (g, x, y, dx, scratch) =>
        {
            TensorPrimitives.Multiply(y, y, scratch);
            TensorPrimitives.Subtract(1f, scratch, scratch); // 1 − y²
            TensorPrimitives.MultiplyAdd(g, scratch, dx, dx);
        });
}
