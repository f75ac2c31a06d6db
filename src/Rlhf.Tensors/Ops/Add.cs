using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = a + b with NumPy broadcasting (e.g. (B, T, C) + (C), (2, 1, 4) + (3, 1) → (2, 3, 4)).
    /// Backward: da += Σ g, db += Σ g, each summed over the dimensions that operand was stretched along.
    /// </summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary<AddOp>("Add", a, b);

    private readonly struct AddOp : IElementwiseBinaryOp
    {
        public static float Apply(float a, float b) => a + b;
        public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);
        public static void Apply(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Add(a, b, y);
        public static void Apply(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(b, a, y);

        // ∂(a+b)/∂a = ∂(a+b)/∂b = 1
        public static void AccumulateGradA(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> da, Span<float> scratch) => TensorPrimitives.Add(da, g, da);

        public static void AccumulateGradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> db, Span<float> scratch) => TensorPrimitives.Add(db, g, db);
    }
}
