using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = a / b (IEEE division: x/0 gives ±∞ or NaN, no exception) with NumPy broadcasting.
    /// Backward: da += Σ g / b, db −= Σ g·y / b (= g·a/b², computed through y to avoid squaring b).
    /// </summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary<DivOp>("Div", a, b);

    private readonly struct DivOp : IElementwiseBinaryOp
    {
        public static float Apply(float a, float b) => a / b;
        public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
        public static void Apply(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
        public static void Apply(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);

        // ∂(a/b)/∂a = 1/b
        public static void AccumulateGradA(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> da, Span<float> scratch)
        {
            TensorPrimitives.Divide(g, b, scratch);
            TensorPrimitives.Add(da, scratch, da);
        }

        // ∂(a/b)/∂b = −a/b² = −y/b
        public static void AccumulateGradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> db, Span<float> scratch)
        {
            TensorPrimitives.Multiply(g, y, scratch);
            TensorPrimitives.Divide(scratch, b, scratch);
            TensorPrimitives.Subtract(db, scratch, db);
        }
    }
}
