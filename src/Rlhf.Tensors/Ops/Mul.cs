using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = a ⊙ b (element-wise product) with NumPy broadcasting, e.g. (3, 5, 7) ⊙ (7).
    /// Backward: da += Σ g ⊙ b, db += Σ g ⊙ a (sums over each operand's stretched dimensions).
    /// </summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary<MulOp>("Mul", a, b);

    private readonly struct MulOp : IElementwiseBinaryOp
    {
        public static float Apply(float a, float b) => a * b;
        public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);
        public static void Apply(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);
        public static void Apply(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(b, a, y);

        // ∂(ab)/∂a = b, ∂(ab)/∂b = a
        public static void AccumulateGradA(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> da, Span<float> scratch) => TensorPrimitives.MultiplyAdd(g, b, da, da);

        public static void AccumulateGradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
            Span<float> db, Span<float> scratch) => TensorPrimitives.MultiplyAdd(g, a, db, db);
    }
}
