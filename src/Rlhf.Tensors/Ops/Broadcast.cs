using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// The NumPy broadcast of several shapes: dimensions are aligned from the right, missing leading dimensions
    /// count as 1, and in each position all sizes must be equal or 1 (size 1 stretches). E.g. (2, 1, 4) and (3, 1)
    /// give (2, 3, 4). Throws <see cref="TensorShapeException"/> naming <paramref name="op"/> and every shape.
    /// </summary>
    public static int[] BroadcastShape(string op, params ReadOnlySpan<int[]> shapes)
    {
        int rank = 0;
        foreach (var s in shapes) rank = Math.Max(rank, s.Length);
        var result = new int[rank];
        result.AsSpan().Fill(1);
        foreach (var s in shapes)
        {
            for (int j = 0; j < s.Length; j++)
            {
                int i = rank - s.Length + j, d = s[j];
                if (d == result[i] || d == 1) continue;
                if (result[i] != 1) throw BroadcastError(op, shapes);
                result[i] = d;
            }
        }
        return result;
    }

    private static TensorShapeException BroadcastError(string op, ReadOnlySpan<int[]> shapes)
    {
        var parts = new string[shapes.Length];
        for (int i = 0; i < parts.Length; i++) parts[i] = Tensor.ShapeString(shapes[i]);
        return new TensorShapeException($"{op}: shapes {string.Join(" and ", parts)} cannot be broadcast together");
    }

    /// <summary>
    /// Expands <paramref name="x"/> to <paramref name="shape"/> by NumPy broadcasting, as a strided view with
    /// stride 0 along stretched dimensions (no copy; ops that need contiguous data will copy it).
    /// Backward: dx += dy summed over the stretched dimensions.
    /// </summary>
    public static Tensor BroadcastTo(Tensor x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(shape);
        var xs = x.ShapeArray();
        if (xs.Length > shape.Length || !BroadcastShape("BroadcastTo", xs, shape).AsSpan().SequenceEqual(shape))
            throw new TensorShapeException($"BroadcastTo: shape {Tensor.ShapeString(xs)} cannot be broadcast to {Tensor.ShapeString(shape)}");
        var strides = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            int j = i - (shape.Length - xs.Length);
            strides[i] = j < 0 || (xs[j] == 1 && shape[i] != 1) ? 0 : x.Strides[j];
        }
        var y = new Tensor(x.Storage, shape, strides, x.Offset);
        return Tensor.Record(y, "BroadcastTo", [x], g =>
        {
            var gc = g.Contiguous();
            new ElementwisePlan((int[])shape.Clone(), xs).ReduceInto(0, gc.Storage, gc.Offset, x.GradBuffer());
        });
    }

    /// <summary>
    /// The elements of <paramref name="x"/> broadcast to <paramref name="shape"/> (which must be a valid target),
    /// materialised as a new row-major array. Not recorded for autograd (used for masks).
    /// </summary>
    internal static float[] BroadcastToArray(Tensor x, int[] shape)
    {
        var xc = x.Contiguous();
        if (xc.Shape.SequenceEqual(shape)) return xc.ToArray();
        var plan = new ElementwisePlan(shape, xc.ShapeArray());
        var result = new float[Tensor.ShapeSize(shape)];
        var src = xc.Span;
        int n = plan.Inner;
        for (int r = 0; r < plan.Rows; r++)
        {
            var dst = result.AsSpan(r * n, n);
            int off = plan.Offset(0, r);
            if (plan.InnerStride(0) == 1) src.Slice(off, n).CopyTo(dst);
            else dst.Fill(src[off]);
        }
        return result;
    }
}
