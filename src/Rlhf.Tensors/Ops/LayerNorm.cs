using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Layer normalisation over the last dimension: y = (x − μ)/√(σ² + eps)·γ + β, with μ, σ² the mean and biased
    /// variance of each row of C elements. x (..., C), γ (C), β (C) → y (..., C).
    /// <para>
    /// Backward (llm.c layernorm_backward, one fused pass per row using the μ and rstd = 1/√(σ²+eps) saved by the
    /// forward): with x̂ = (x − μ)·rstd and g = dy⊙γ, dx = rstd·(g − mean(g) − x̂·mean(g⊙x̂)), dγ = Σ_rows dy⊙x̂,
    /// dβ = Σ_rows dy. The dγ/dβ row sums are taken per fixed 32-row chunk, then the chunks are added in order, so
    /// the result does not depend on the thread count.
    /// </para>
    /// </summary>
    public static Tensor LayerNorm(Tensor x, Tensor gamma, Tensor beta, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        if (x.Rank < 1 || x.Shape[^1] == 0)
            throw new TensorShapeException($"LayerNorm: input {Tensor.ShapeString(x.Shape)} needs a non-empty last dimension");
        int C = x.Shape[^1];
        if (gamma.Rank != 1 || gamma.Shape[0] != C)
            throw new TensorShapeException($"LayerNorm: gamma {Tensor.ShapeString(gamma.Shape)} does not match input {Tensor.ShapeString(x.Shape)} (expected [{C}])");
        if (beta.Rank != 1 || beta.Shape[0] != C)
            throw new TensorShapeException($"LayerNorm: beta {Tensor.ShapeString(beta.Shape)} does not match input {Tensor.ShapeString(x.Shape)} (expected [{C}])");

        var xc = x.Contiguous(); var gc = gamma.Contiguous(); var bc = beta.Contiguous();
        int rows = xc.Size / C;
        var y = Tensor.Uninitialized(xc.ShapeArray());
        var mean = new float[rows];
        var rstd = new float[rows];
        float[] xa = xc.Storage, ga = gc.Storage, ba = bc.Storage, ya = y.Storage;
        int xo = xc.Offset, go = gc.Offset, bo = bc.Offset;
        RowPartition.For(rows, 4L * C, (r0, r1) =>
        {
            var gs = ga.AsSpan(go, C); var bs = ba.AsSpan(bo, C);
            for (int r = r0; r < r1; r++)
                (mean[r], rstd[r]) = LayerNormKernel.ForwardRow(xa.AsSpan(xo + r * C, C), gs, bs, eps, ya.AsSpan(r * C, C));
        });

        return Tensor.Record(y, "LayerNorm", [xc, gc, bc], g =>
        {
            const int chunkRows = 32;
            int chunks = (rows + chunkRows - 1) / chunkRows;
            var partial = new float[(long)chunks * 2 * C]; // per chunk: dγ (C) then dβ (C)
            var (dxa, dxo) = xc.RequiresGrad ? GradStorage.Of(xc) : (null, 0);
            float[] dya = g.Storage; int dyo = g.Offset;
            RowPartition.For(chunks, 8L * C * chunkRows, (c0, c1) =>
            {
                var gs = ga.AsSpan(go, C);
                for (int c = c0; c < c1; c++)
                {
                    var dgam = partial.AsSpan(c * 2 * C, C); var dbet = partial.AsSpan(c * 2 * C + C, C);
                    for (int r = c * chunkRows, rEnd = Math.Min(rows, r + chunkRows); r < rEnd; r++)
                        LayerNormKernel.BackwardRow(xa.AsSpan(xo + r * C, C), dya.AsSpan(dyo + r * C, C), gs, mean[r], rstd[r],
                            dxa is null ? Span<float>.Empty : dxa.AsSpan(dxo + r * C, C), dgam, dbet);
                }
            });
            if (gc.RequiresGrad)
            {
                var dg = gc.GradBuffer();
                for (int c = 0; c < chunks; c++) TensorPrimitives.Add(dg, partial.AsSpan(c * 2 * C, C), dg);
            }
            if (bc.RequiresGrad)
            {
                var db = bc.GradBuffer();
                for (int c = 0; c < chunks; c++) TensorPrimitives.Add(db, partial.AsSpan(c * 2 * C + C, C), db);
            }
        });
    }
}
