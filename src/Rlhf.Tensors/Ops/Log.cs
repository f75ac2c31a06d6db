using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>y = ln x (IEEE: ln 0 = −∞, ln of a negative = NaN; no exception). Backward: dx += g / x.</summary>
    public static Tensor Log(Tensor x) => Unary("Log", x,
        static (x, y) => TensorPrimitives.Log(x, y),
        static (g, x, y, dx, scratch) =>
        {
            TensorPrimitives.Divide(g, x, scratch);
            TensorPrimitives.Add(dx, scratch, dx);
        });
}
