using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = condition ≠ 0 ? a : b, element-wise, with the condition, a and b broadcast together (NumPy rules).
    /// The condition is a float tensor (nonzero = true) and is not differentiated. Backward: g is routed by the
    /// condition — da += Σ g where true, db += Σ g where false (summed over each operand's stretched dimensions).
    /// The unselected operand's values never reach y or the gradient, even if ±∞ or NaN.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var cc = condition.Contiguous();
        var ac = a.Contiguous();
        var bc = b.Contiguous();
        int[] cShape = cc.ShapeArray(), aShape = ac.ShapeArray(), bShape = bc.ShapeArray();
        var outShape = BroadcastShape("Where", cShape, aShape, bShape);
        var plan = new ElementwisePlan(outShape, cShape, aShape, bShape);
        int n = plan.Inner, sc = plan.InnerStride(0), sa = plan.InnerStride(1), sb = plan.InnerStride(2);
        var y = Tensor.Uninitialized(outShape);
        {
            ReadOnlySpan<float> C = cc.Span, A = ac.Span, B = bc.Span;
            var Y = y.Span;
            for (int r = 0; r < plan.Rows; r++)
            {
                int oc = plan.Offset(0, r), oa = plan.Offset(1, r), ob = plan.Offset(2, r), oy = r * n;
                for (int j = 0; j < n; j++) Y[oy + j] = C[oc + j * sc] != 0f ? A[oa + j * sa] : B[ob + j * sb];
            }
        }
        return Tensor.Record(y, "Where", [ac, bc], g =>
        {
            if (ac.RequiresGrad) RouteGradient(g, cc, plan, 1, ac, whenTrue: true);
            if (bc.RequiresGrad) RouteGradient(g, cc, plan, 2, bc, whenTrue: false);
        });
    }

    /// <summary>
    /// y = condition[i] ? a : b with a bool per output element (row-major; its length must equal the broadcast
    /// size of a and b). See <see cref="Where(Tensor, Tensor, Tensor)"/>.
    /// </summary>
    public static Tensor Where(bool[] condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = BroadcastShape("Where", a.ShapeArray(), b.ShapeArray());
        if (condition.Length != Tensor.ShapeSize(outShape))
            throw new TensorShapeException(
                $"Where: {condition.Length} conditions for shapes {Tensor.ShapeString(a.Shape)} and {Tensor.ShapeString(b.Shape)} (broadcast size {Tensor.ShapeSize(outShape)})");
        var c = new float[condition.Length];
        for (int i = 0; i < c.Length; i++) c[i] = condition[i] ? 1f : 0f;
        return Where(Tensor.FromArray(c, outShape), a, b);
    }

    /// <summary>d(operand) += Σ g where (condition ≠ 0) == whenTrue, reduced over the operand's broadcast dimensions.</summary>
    private static void RouteGradient(Tensor g, Tensor cond, ElementwisePlan plan, int k, Tensor operand, bool whenTrue)
    {
        int n = plan.Inner, sc = plan.InnerStride(0), size = plan.Rows * n;
        var routed = new float[size];
        ReadOnlySpan<float> C = cond.Span, G = g.Span;
        for (int r = 0; r < plan.Rows; r++)
        {
            int oc = plan.Offset(0, r), o = r * n;
            for (int j = 0; j < n; j++) if ((C[oc + j * sc] != 0f) == whenTrue) routed[o + j] = G[o + j];
        }
        plan.ReduceInto(k, routed, 0, operand.GradBuffer());
    }
}
