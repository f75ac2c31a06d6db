using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = a − b with NumPy broadcasting. Backward: da += Σ g, db −= Σ g (sums over each operand's stretched dimensions).
    /// </summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary<SubOp>("Sub", a, b);

    private readonly struct SubOp : IElementwiseBinaryOp
    {
        public static float Apply(float a, float b) => a - b;
        public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
        public static void Apply(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
        public static void Apply(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);

        // ∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1
        public static void AccumulateGradA(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> da, Span<float> scratch) => TensorPrimitives.Add(da, g, da);

        public static void AccumulateGradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> db, Span<float> scratch) => TensorPrimitives.Subtract(db, g, db);
    }
}
