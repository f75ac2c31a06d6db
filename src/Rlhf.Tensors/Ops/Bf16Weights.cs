using Rlhf.Tensors.Autograd;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y = x·W + b with a frozen bf16 weight W (in, out) (GPT-2 Conv1D orientation), float32 accumulation
    /// (<see cref="Gemm.MultiplyBf16"/>): the values of <see cref="Linear(Tensor, Tensor, Tensor)"/> on the widened W.
    /// Forward-only: records no graph; throws when <paramref name="x"/> would need a gradient.
    /// </summary>
    public static Tensor Linear(Tensor x, Bf16Matrix weight, Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        if (x.Rank < 1 || x.Shape[^1] != weight.Rows || bias.Rank != 1 || bias.Shape[0] != weight.Cols)
            throw new TensorShapeException(
                $"Linear: expected x (..., in), weight (in, out), bias (out), got {Tensor.ShapeString(x.Shape)}, bf16 {weight.ShapeString} and {Tensor.ShapeString(bias.Shape)}");
        RequireForwardOnly("Linear", x, weight);
        return Bf16Product(x, weight, transB: false, bias.Contiguous().Span);
    }

    /// <summary>
    /// x·W (W (K, N)) or, with <paramref name="transB"/>, x·Wᵀ (W (N, K)) for a frozen bf16 weight W shared by every
    /// row of x (..., K) → (..., N), float32 accumulation: the values of <see cref="MatMul(Tensor, Tensor, bool, bool)"/>
    /// on the widened W. Forward-only: records no graph; throws when <paramref name="x"/> would need a gradient.
    /// </summary>
    public static Tensor MatMul(Tensor x, Bf16Matrix weight, bool transB = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        int k = transB ? weight.Cols : weight.Rows;
        if (x.Rank < 1 || x.Shape[^1] != k)
            throw new TensorShapeException(
                $"MatMul: inner dimensions differ: {Tensor.ShapeString(x.Shape)} · bf16 {weight.ShapeString}{(transB ? "ᵀ" : "")} ({(x.Rank < 1 ? 0 : x.Shape[^1])} vs {k})");
        RequireForwardOnly("MatMul", x, weight);
        return Bf16Product(x, weight, transB, []);
    }

    /// <summary>
    /// Row lookup in a frozen bf16 table (V, C): out[..., :] = widen(table[ids[...], :]) (see
    /// <see cref="Embedding(int[], int[], Tensor)"/>). Forward-only: the result records no graph.
    /// </summary>
    public static Tensor Embedding(int[] ids, int[] idsShape, Bf16Matrix table)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(idsShape);
        ArgumentNullException.ThrowIfNull(table);
        if (Tensor.ShapeSize(idsShape) != ids.Length)
            throw new TensorShapeException($"Embedding: {ids.Length} ids do not fill ids shape {Tensor.ShapeString(idsShape)} (bf16 table {table.ShapeString})");
        int C = table.Cols;
        CheckEmbeddingIds(ids, idsShape, table.Rows);
        var outShape = new int[idsShape.Length + 1];
        idsShape.CopyTo(outShape, 0);
        outShape[^1] = C;
        var y = Tensor.Uninitialized(outShape);
        var ys = y.Span;
        for (int i = 0; i < ids.Length; i++) Bf16.ToFloat(table.Data.AsSpan(ids[i] * C, C), ys.Slice(i * C, C));
        return y;
    }

    /// <summary>(rows, K) · op(W) (+ bias) over all leading dimensions of x as rows.</summary>
    private static Tensor Bf16Product(Tensor x, Bf16Matrix weight, bool transB, ReadOnlySpan<float> bias)
    {
        var xc = x.Contiguous();
        int k = xc.Shape[^1], n = transB ? weight.Rows : weight.Cols, rows = k == 0 ? 0 : xc.Size / k;
        var outShape = xc.ShapeArray();
        outShape[^1] = n;
        var y = Tensor.Uninitialized(outShape);
        Gemm.MultiplyBf16(transB, rows, n, k, xc.Span, Math.Max(1, k), weight.Data, Math.Max(1, weight.Cols), bias, y.Span, Math.Max(1, n));
        return y;
    }

    /// <summary>Frozen bf16 weights have no backward: refuse an input that is part of a graph being recorded.</summary>
    private static void RequireForwardOnly(string op, Tensor x, Bf16Matrix weight)
    {
        if (GradMode.IsEnabled && x.RequiresGrad)
            throw new InvalidOperationException(
                $"{op}: {weight.Name ?? "the weight"} is a frozen bf16 weight, which is forward-only (no backward); its input requires a gradient. "
                + "Frozen models (reference policy, reward model, judge) must not be trained; run them under Tensor.NoGrad() or on inputs without gradients");
    }
}
