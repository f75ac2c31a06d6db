using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// SiLU (swish) y = x·σ(x), elementwise (the gate activation of SwiGLU MLPs: down(silu(gate(x))·up(x))).
    /// Backward: dx += g·σ(x)·(1 + x·(1 − σ(x))) = g·(σ(x)·(1 − y) + y).
    /// </summary>
    public static Tensor Silu(Tensor x) => Unary("Silu", x,
        static (x, y) =>
        {
            TensorPrimitives.Sigmoid(x, y);
            TensorPrimitives.Multiply(x, y, y);
        },
        static (g, x, y, dx, sigma) =>
        {
            TensorPrimitives.Sigmoid(x, sigma);
            for (int i = 0; i < dx.Length; i++) dx[i] += g[i] * (sigma[i] * (1f - y[i]) + y[i]);
        });
}
