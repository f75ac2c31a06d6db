using System.Buffers;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Shared engine of the broadcasting binary ops (Add, Sub, Mul, Div, Minimum, Maximum).
    /// <list type="bullet">
    /// <item>Equal shapes: one span call per ≈32K-element chunk (chunks run in parallel for large tensors).</item>
    /// <item>Broadcasting: an <see cref="ElementwisePlan"/> collapses the shapes to rows × inner, so "(..., C) op (C)"
    /// and "(..., C) op (..., 1)" become one span/scalar TensorPrimitives call per row.</item>
    /// <item>Backward: per-element contributions are accumulated straight into the gradient of an operand that is
    /// not broadcast; for a broadcast operand they go to an output-sized buffer that is then summed over the
    /// stretched dimensions in double precision (<see cref="ElementwisePlan.ReduceInto"/>).</item>
    /// </list>
    /// </summary>
    private static Tensor Binary<TOp>(string op, Tensor a, Tensor b) where TOp : IElementwiseBinaryOp
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ac = a.Contiguous();
        var bc = b.Contiguous();
        int[] aShape = ac.ShapeArray(), bShape = bc.ShapeArray();
        bool same = aShape.AsSpan().SequenceEqual(bShape);
        var outShape = same ? aShape : BroadcastShape(op, aShape, bShape);
        var y = Tensor.Uninitialized(outShape);
        var plan = same ? null : new ElementwisePlan(outShape, aShape, bShape);

        if (plan is null)
            ElementwiseParallel.For(y.Size, (s, n) => TOp.Apply(ac.Span.Slice(s, n), bc.Span.Slice(s, n), y.Span.Slice(s, n)));
        else
            BinaryForwardBroadcast<TOp>(plan, ac, bc, y);

        return Tensor.Record(y, op, [ac, bc], g =>
        {
            // allocate gradient buffers before any parallel loop touches them
            if (ac.RequiresGrad) ac.GradBuffer();
            if (bc.RequiresGrad) bc.GradBuffer();
            if (plan is null)
            {
                ElementwiseParallel.For(y.Size, (s, n) =>
                {
                    var scratch = ArrayPool<float>.Shared.Rent(n);
                    ReadOnlySpan<float> gs = g.Span.Slice(s, n), As = ac.Span.Slice(s, n), Bs = bc.Span.Slice(s, n), ys = y.Span.Slice(s, n);
                    if (ac.RequiresGrad) TOp.AccumulateGradA(gs, As, Bs, ys, ac.Grad!.Span.Slice(s, n), scratch.AsSpan(0, n));
                    if (bc.RequiresGrad) TOp.AccumulateGradB(gs, As, Bs, ys, bc.Grad!.Span.Slice(s, n), scratch.AsSpan(0, n));
                    ArrayPool<float>.Shared.Return(scratch);
                });
            }
            else
            {
                BinaryBackwardBroadcast<TOp>(plan, ac, bc, y, g);
            }
        });
    }

    private static void BinaryForwardBroadcast<TOp>(ElementwisePlan plan, Tensor a, Tensor b, Tensor y) where TOp : IElementwiseBinaryOp
    {
        int n = plan.Inner, sa = plan.InnerStride(0), sb = plan.InnerStride(1);
        if (plan.Rows == 1)
        {
            // one long row (tensor op scalar-shaped tensor): chunk along it so large tensors still run in parallel
            ElementwiseParallel.For(n, (s, len) =>
            {
                ReadOnlySpan<float> A = a.Span, B = b.Span;
                var yr = y.Span.Slice(s, len);
                if (sa == 1 && sb == 1) TOp.Apply(A.Slice(s, len), B.Slice(s, len), yr);
                else if (sa == 1) TOp.Apply(A.Slice(s, len), B[0], yr);
                else if (sb == 1) TOp.Apply(A[0], B.Slice(s, len), yr);
                else yr.Fill(TOp.Apply(A[0], B[0]));
            });
            return;
        }
        ElementwiseParallel.ForRows(plan.Rows, n, (r0, count) =>
        {
            ReadOnlySpan<float> A = a.Span, B = b.Span;
            var Y = y.Span;
            for (int r = r0; r < r0 + count; r++)
            {
                int oa = plan.Offset(0, r), ob = plan.Offset(1, r);
                var yr = Y.Slice(r * n, n);
                if (sa == 1 && sb == 1) TOp.Apply(A.Slice(oa, n), B.Slice(ob, n), yr);
                else if (sa == 1) TOp.Apply(A.Slice(oa, n), B[ob], yr);
                else if (sb == 1) TOp.Apply(A[oa], B.Slice(ob, n), yr);
                else yr.Fill(TOp.Apply(A[oa], B[ob]));
            }
        });
    }

    private static void BinaryBackwardBroadcast<TOp>(ElementwisePlan plan, Tensor a, Tensor b, Tensor y, Tensor g) where TOp : IElementwiseBinaryOp
    {
        int n = plan.Inner, size = plan.Rows * n, sa = plan.InnerStride(0), sb = plan.InnerStride(1);
        bool needA = a.RequiresGrad, needB = b.RequiresGrad;
        // broadcast operands collect full-size contributions first, then reduce them to their own shape
        float[]? fullA = needA && !plan.IsFull(0) ? RentCleared(size) : null;
        float[]? fullB = needB && !plan.IsFull(1) ? RentCleared(size) : null;
        ElementwiseParallel.ForRows(plan.Rows, n, (r0, count) =>
        {
            var rowA = ArrayPool<float>.Shared.Rent(n);
            var rowB = ArrayPool<float>.Shared.Rent(n);
            var scratch = ArrayPool<float>.Shared.Rent(n);
            ReadOnlySpan<float> A = a.Span, B = b.Span, G = g.Span, Y = y.Span;
            for (int r = r0; r < r0 + count; r++)
            {
                int oa = plan.Offset(0, r), ob = plan.Offset(1, r);
                ReadOnlySpan<float> ar = sa == 1 ? A.Slice(oa, n) : Filled(rowA, n, A[oa]);
                ReadOnlySpan<float> br = sb == 1 ? B.Slice(ob, n) : Filled(rowB, n, B[ob]);
                ReadOnlySpan<float> gr = G.Slice(r * n, n), yr = Y.Slice(r * n, n);
                if (needA) TOp.AccumulateGradA(gr, ar, br, yr, fullA is null ? a.Grad!.Span.Slice(r * n, n) : fullA.AsSpan(r * n, n), scratch.AsSpan(0, n));
                if (needB) TOp.AccumulateGradB(gr, ar, br, yr, fullB is null ? b.Grad!.Span.Slice(r * n, n) : fullB.AsSpan(r * n, n), scratch.AsSpan(0, n));
            }
            ArrayPool<float>.Shared.Return(rowA);
            ArrayPool<float>.Shared.Return(rowB);
            ArrayPool<float>.Shared.Return(scratch);
        });
        if (fullA is not null)
        {
            plan.ReduceInto(0, fullA, 0, a.Grad!.Span);
            ArrayPool<float>.Shared.Return(fullA);
        }
        if (fullB is not null)
        {
            plan.ReduceInto(1, fullB, 0, b.Grad!.Span);
            ArrayPool<float>.Shared.Return(fullB);
        }
    }

    private static float[] RentCleared(int size)
    {
        var buffer = ArrayPool<float>.Shared.Rent(size);
        buffer.AsSpan(0, size).Clear();
        return buffer;
    }

    private static ReadOnlySpan<float> Filled(float[] buffer, int n, float value)
    {
        var s = buffer.AsSpan(0, n);
        s.Fill(value);
        return s;
    }
}
