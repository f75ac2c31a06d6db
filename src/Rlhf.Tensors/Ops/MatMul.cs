using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Matrix product C = op(A)·op(B) over the last two dimensions.
    /// <list type="bullet">
    /// <item>A (..., M, K) — or (..., K, M) with <paramref name="transA"/>.</item>
    /// <item>B (K, N) shared by every batch item (a weight), or (..., K, N) with exactly A's batch dimensions —
    /// or the transposed layouts (N, K) / (..., N, K) with <paramref name="transB"/>.</item>
    /// </list>
    /// Result (..., M, N). Backward (C = A·B): dA = dC·Bᵀ, dB = Aᵀ·dC (summed over the batch when B is shared),
    /// computed with the transposed GEMM variants, no explicit transposes.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank < 2 || b.Rank < 2)
            throw new TensorShapeException($"MatMul: needs rank ≥ 2 operands, got {Tensor.ShapeString(a.Shape)} and {Tensor.ShapeString(b.Shape)}");
        bool sharedB = b.Rank == 2;
        if (!sharedB && (b.Rank != a.Rank || !a.Shape[..^2].SequenceEqual(b.Shape[..^2])))
            throw new TensorShapeException($"MatMul: batch dimensions differ: {Tensor.ShapeString(a.Shape)} and {Tensor.ShapeString(b.Shape)}");
        int m = transA ? a.Shape[^1] : a.Shape[^2];
        int k = transA ? a.Shape[^2] : a.Shape[^1];
        int kb = transB ? b.Shape[^1] : b.Shape[^2];
        int n = transB ? b.Shape[^2] : b.Shape[^1];
        if (k != kb)
            throw new TensorShapeException(
                $"MatMul: inner dimensions differ: {Tensor.ShapeString(a.Shape)}{(transA ? "ᵀ" : "")} · {Tensor.ShapeString(b.Shape)}{(transB ? "ᵀ" : "")} ({k} vs {kb})");

        var ac = a.Contiguous();
        var bc = b.Contiguous();
        int batch = ShapeProduct(a.Shape[..^2]);
        var outShape = a.ShapeArray();
        outShape[^2] = m;
        outShape[^1] = n;
        var c = Tensor.Uninitialized(outShape);
        int lda = transA ? m : k, ldb = transB ? k : n;

        Forward(ac, bc, c);
        return Tensor.Record(c, "MatMul", [ac, bc], g =>
        {
            if (ac.RequiresGrad) BackwardA(g, bc, ac.GradBufferForWrite(out bool freshA), !freshA);
            if (bc.RequiresGrad) BackwardB(g, ac, bc.GradBufferForWrite(out bool freshB), !freshB);
        });

        void Forward(Tensor x, Tensor y, Tensor z)
        {
            var xs = x.Span; var ys = y.Span; var zs = z.Span;
            if (sharedB && !transA)
            {
                // rows of all batch items are one tall matrix: one GEMM (batch·M) × K · K × N
                Gemm.Multiply(false, transB, batch * m, n, k, xs, lda, ys, ldb, zs, n, accumulate: false);
                return;
            }
            for (int i = 0; i < batch; i++)
                Gemm.Multiply(transA, transB, m, n, k, xs.Slice(i * m * k), lda, sharedB ? ys : ys.Slice(i * k * n), ldb,
                    zs.Slice(i * m * n), n, accumulate: false);
        }

        void BackwardA(Tensor g, Tensor y, Span<float> dx, bool accumulate)
        {
            var gs = g.Span; var ys = y.Span;
            if (!transA && sharedB)
            {
                // dA (batch·M × K) += dC (batch·M × N) · op(B)ᵀ
                Gemm.Multiply(false, !transB, batch * m, k, n, gs, n, ys, ldb, dx, k, accumulate);
                return;
            }
            for (int i = 0; i < batch; i++)
            {
                var yi = sharedB ? ys : ys.Slice(i * k * n);
                if (!transA) // dA (M×K) += dC (M×N) · op(B)ᵀ
                    Gemm.Multiply(false, !transB, m, k, n, gs.Slice(i * m * n), n, yi, ldb, dx.Slice(i * m * k), k, accumulate);
                else // A stored K×M: dAstored (K×M) += op(B) (K×N) · dCᵀ
                    Gemm.Multiply(transB, true, k, m, n, yi, ldb, gs.Slice(i * m * n), n, dx.Slice(i * m * k), m, accumulate);
            }
        }

        void BackwardB(Tensor g, Tensor x, Span<float> dy, bool accumulate)
        {
            var gs = g.Span; var xs = x.Span;
            if (sharedB && !transA)
            {
                // the batch folds into the reduction dimension: dB += Aᵀ (K × batch·M) · dC (batch·M × N)
                if (!transB) Gemm.Multiply(true, false, k, n, batch * m, xs, lda, gs, n, dy, n, accumulate);
                else Gemm.Multiply(true, false, n, k, batch * m, gs, n, xs, lda, dy, k, accumulate);
                return;
            }
            for (int i = 0; i < batch; i++)
            {
                var dyi = sharedB ? dy : dy.Slice(i * k * n);
                var xi = xs.Slice(i * m * k);
                var gi = gs.Slice(i * m * n);
                if (!transB) // dB (K×N) += op(A)ᵀ (K×M) · dC (M×N)
                    Gemm.Multiply(!transA, false, k, n, m, xi, lda, gi, n, dyi, n, accumulate: accumulate || (sharedB && i > 0));
                else // B stored N×K: dBstored (N×K) += dCᵀ (N×M) · op(A) (M×K)
                    Gemm.Multiply(true, transA, n, k, m, gi, n, xi, lda, dyi, k, accumulate: accumulate || (sharedB && i > 0));
            }
        }
    }

    private static int ShapeProduct(ReadOnlySpan<int> dims)
    {
        int p = 1;
        foreach (int d in dims) p *= d;
        return p;
    }
}
