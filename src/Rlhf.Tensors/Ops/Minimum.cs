using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = min(a, b) element-wise with NumPy broadcasting (NaN in either operand gives NaN).
    /// Backward: the gradient goes to a where a ≤ b, else to b — on ties entirely to the FIRST argument
    /// (PyTorch splits ties in half). If a is NaN the gradient goes to b.
    /// </summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary<MinimumOp>("Minimum", a, b);

    private readonly struct MinimumOp : IElementwiseBinaryOp
    {
        public static float Apply(float a, float b) => MathF.Min(a, b);
        public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Min(a, b, y);
        public static void Apply(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Min(a, b, y);
        public static void Apply(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Min(b, a, y);

        public static void AccumulateGradA(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> da, Span<float> scratch)
        {
            for (int i = 0; i < da.Length; i++) if (a[i] <= b[i]) da[i] += g[i];
        }

        public static void AccumulateGradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> db, Span<float> scratch)
        {
            for (int i = 0; i < db.Length; i++) if (!(a[i] <= b[i])) db[i] += g[i];
        }
    }
}
