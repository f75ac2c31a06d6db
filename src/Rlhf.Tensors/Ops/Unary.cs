using System.Buffers;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>y = f(x) over a chunk (x and y have the same length).</summary>
    private delegate void UnaryForward(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx += g·f′(x) over a chunk, given the forward output y; scratch is a free buffer of the chunk's length.</summary>
    private delegate void UnaryBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dx, Span<float> scratch);

    /// <summary>
    /// Shared engine of the element-wise unary ops: the op's file passes its forward and backward math as two
    /// static lambdas, called once per ≈32K-element chunk (chunks run in parallel for large tensors; chunk
    /// boundaries depend only on the size, so results are bit-identical with or without threads).
    /// </summary>
    private static Tensor Unary(string op, Tensor x, UnaryForward forward, UnaryBackward backward)
    {
        ArgumentNullException.ThrowIfNull(x);
        var xc = x.Contiguous();
        var y = Tensor.Uninitialized(xc.ShapeArray());
        ElementwiseParallel.For(y.Size, (s, n) => forward(xc.Span.Slice(s, n), y.Span.Slice(s, n)));
        return Tensor.Record(y, op, [xc], g =>
        {
            xc.GradBuffer(); // allocate before the parallel loop
            ElementwiseParallel.For(y.Size, (s, n) =>
            {
                var scratch = ArrayPool<float>.Shared.Rent(n);
                backward(g.Span.Slice(s, n), xc.Span.Slice(s, n), y.Span.Slice(s, n), xc.Grad!.Span.Slice(s, n), scratch.AsSpan(0, n));
                ArrayPool<float>.Shared.Return(scratch);
            });
        });
    }
}
