using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = min(max(x, <paramref name="min"/>), <paramref name="max"/>) (use ±∞ for a one-sided clamp; NaN stays NaN).
    /// Backward: dx += g only where min &lt; x &lt; max STRICTLY; at or beyond a bound the gradient is 0 (PyTorch
    /// passes it at the bound itself). In PPO's max(−A·r, −A·clip(r, 1−ε, 1+ε)) this is invisible: at r = 1±ε
    /// both terms tie and <see cref="Maximum"/> routes the gradient through the unclipped first term.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="min"/> &gt; <paramref name="max"/> or either is NaN.</exception>
    public static Tensor Clamp(Tensor x, float min, float max)
    {
        if (!(min <= max)) throw new ArgumentException($"Clamp: min {min} must be ≤ max {max}");
        return Unary("Clamp", x,
            (x, y) => TensorPrimitives.Clamp(x, min, max, y),
            (g, x, y, dx, scratch) =>
            {
                for (int i = 0; i < dx.Length; i++) if (x[i] > min && x[i] < max) dx[i] += g[i];
            });
    }
}
