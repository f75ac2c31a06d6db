using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>y = σ(x) = 1 / (1 + e⁻ˣ) (saturates cleanly to 0 and 1). Backward: dx += g·y·(1 − y).</summary>
    public static Tensor Sigmoid(Tensor x) => Unary("Sigmoid", x,
        static (x, y) => TensorPrimitives.Sigmoid(x, y),
        static (g, x, y, dx, scratch) =>
        {
            TensorPrimitives.Subtract(1f, y, scratch); // 1 − y
            TensorPrimitives.Multiply(scratch, y, scratch);
            TensorPrimitives.MultiplyAdd(g, scratch, dx, dx);
        });
}
