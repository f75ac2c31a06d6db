using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = log σ(x), computed stably as min(x, 0) − log1p(e^−|x|): no overflow for any x, and accurate in both
    /// tails (log σ(x) ≈ −e^−x for large x, ≈ x for very negative x). Used by DPO / reward-model losses
    /// (−log σ(β·Δ)). Backward: dx += g·σ(−x).
    /// </summary>
    public static Tensor LogSigmoid(Tensor x) => Unary("LogSigmoid", x,
        static (x, y) =>
        {
            for (int i = 0; i < x.Length; i++) y[i] = MathF.Min(x[i], 0f) - Log1p(MathF.Exp(-MathF.Abs(x[i])));
        },
        static (g, x, y, dx, scratch) =>
        {
            TensorPrimitives.Negate(x, scratch);
            TensorPrimitives.Sigmoid(scratch, scratch); // σ(−x) = 1 − σ(x), no cancellation
            TensorPrimitives.MultiplyAdd(g, scratch, dx, dx);
        });

    /// <summary>
    /// log(1 + e) accurate for tiny e (Goldberg's trick: the rounding error of u = 1 + e cancels in log(u)·e/(u − 1));
    /// MathF has no log1p and the naive form returns 0 for e below 6e-8.
    /// </summary>
    private static float Log1p(float e)
    {
        float u = 1f + e;
        return u == 1f ? e : MathF.Log(u) * (e / (u - 1f));
    }
}
