using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>y = s·x. Backward: dx += s·g.</summary>
    public static Tensor Scale(Tensor x, float s) => Unary("Scale", x,
        (x, y) => TensorPrimitives.Multiply(x, s, y),
        (g, x, y, dx, scratch) => TensorPrimitives.MultiplyAdd(g, s, dx, dx));

    /// <summary>y = x + s. Backward: dx += g.</summary>
    public static Tensor AddScalar(Tensor x, float s) => Unary("AddScalar", x,
        (x, y) => TensorPrimitives.Add(x, s, y),
        static (g, x, y, dx, scratch) => TensorPrimitives.Add(dx, g, dx));

    /// <summary>y = −x. Backward: dx −= g.</summary>
    public static Tensor Neg(Tensor x) => Unary("Neg", x,
        static (x, y) => TensorPrimitives.Negate(x, y),
        static (g, x, y, dx, scratch) => TensorPrimitives.Subtract(dx, g, dx));

    /// <summary>y = scale·x + shift (e.g. 1 − x as Affine(x, −1, 1)). Backward: dx += scale·g.</summary>
    public static Tensor Affine(Tensor x, float scale, float shift) => Unary("Affine", x,
        (x, y) =>
        {
            TensorPrimitives.Multiply(x, scale, y);
            TensorPrimitives.Add(y, shift, y);
        },
        (g, x, y, dx, scratch) => TensorPrimitives.MultiplyAdd(g, scale, dx, dx));
}
