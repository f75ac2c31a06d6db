namespace Rlhf.Tensors.Kernels;

/// <summary>Scalar twin of <see cref="GeluKernel"/>, written exactly as GPT-2: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
internal static class GeluReference
{
    private static readonly float K0 = MathF.Sqrt(2f / MathF.PI);

    /// <summary>y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = 0.5f * v * (1f + MathF.Tanh(K0 * (v + 0.044715f * v * v * v)));
        }
    }

    /// <summary>dx += dy·(½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            float t = MathF.Tanh(K0 * (v + 0.044715f * v * v * v));
            float du = K0 * (1f + 3f * 0.044715f * v * v);
            dx[i] += dy[i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * du);
        }
    }
}
