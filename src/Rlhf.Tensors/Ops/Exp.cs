using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>y = eˣ (overflows to +∞ above ≈88.7). Backward: dx += g·y.</summary>
    public static Tensor Exp(Tensor x) => Unary("Exp", x,
        static (x, y) => TensorPrimitives.Exp(x, y),
        static (g, x, y, dx, scratch) => TensorPrimitives.MultiplyAdd(g, y, dx, dx));
}
