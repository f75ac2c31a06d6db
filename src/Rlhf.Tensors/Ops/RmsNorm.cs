using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Root-mean-square normalisation over the last dimension (Zhang &amp; Sennrich 2019; HF <c>LlamaRMSNorm</c>):
    /// y = x·rstd·w with rstd = 1/√(mean(x²) + eps) per row of C elements. x (..., C), w (C) → y (..., C).
    /// No mean subtraction and no shift, unlike <see cref="LayerNorm"/>.
    /// <para>
    /// Backward (one pass per row using the rstd saved by the forward): with x̂ = x·rstd and g = dy⊙w,
    /// dx = rstd·(g − x̂·mean(g⊙x̂)), dw = Σ_rows dy⊙x̂. The dw row sums are taken per fixed 32-row chunk and the
    /// chunks are added in order, so the result does not depend on the thread count.
    /// </para>
    /// </summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, float eps = 1e-6f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank < 1 || x.Shape[^1] == 0)
            throw new TensorShapeException($"RmsNorm: input {Tensor.ShapeString(x.Shape)} needs a non-empty last dimension");
        int C = x.Shape[^1];
        if (weight.Rank != 1 || weight.Shape[0] != C)
            throw new TensorShapeException($"RmsNorm: weight {Tensor.ShapeString(weight.Shape)} does not match input {Tensor.ShapeString(x.Shape)} (expected [{C}])");

        var xc = x.Contiguous(); var wc = weight.Contiguous();
        int rows = xc.Size / C;
        var y = Tensor.Uninitialized(xc.ShapeArray());
        var rstd = new float[rows];
        float[] xa = xc.Storage, wa = wc.Storage, ya = y.Storage;
        int xo = xc.Offset, wo = wc.Offset;
        // forward, per row: rstd = 1/√(Σx²/C + eps); y = x·rstd·w
        RowPartition.For(rows, 3L * C, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var xr = xa.AsSpan(xo + r * C, C);
                double sumSq = 0;
                foreach (float v in xr) sumSq += v * v;
                float s = (float)(1.0 / Math.Sqrt(sumSq / C + eps));
                rstd[r] = s;
                var yr = ya.AsSpan(r * C, C);
                for (int i = 0; i < C; i++) yr[i] = xr[i] * s * wa[wo + i];
            }
        });

        return Tensor.Record(y, "RmsNorm", [xc, wc], g =>
        {
            const int chunkRows = 32;
            int chunks = (rows + chunkRows - 1) / chunkRows;
            var partialDw = new float[(long)chunks * C];
            var (dxa, dxo) = xc.RequiresGrad ? GradStorage.Of(xc) : (null, 0);
            float[] dya = g.Storage; int dyo = g.Offset;
            RowPartition.For(chunks, 6L * C * chunkRows, (c0, c1) =>
            {
                for (int c = c0; c < c1; c++)
                {
                    var dw = partialDw.AsSpan(c * C, C);
                    for (int r = c * chunkRows, rEnd = Math.Min(rows, r + chunkRows); r < rEnd; r++)
                    {
                        var xr = xa.AsSpan(xo + r * C, C); var dy = dya.AsSpan(dyo + r * C, C);
                        float s = rstd[r];
                        // mean(g⊙x̂) with g = dy⊙w, x̂ = x·rstd
                        double dot = 0;
                        for (int i = 0; i < C; i++) dot += dy[i] * wa[wo + i] * (xr[i] * s);
                        float meanGx = (float)(dot / C);
                        for (int i = 0; i < C; i++)
                        {
                            float xHat = xr[i] * s;
                            dw[i] += dy[i] * xHat;
                            if (dxa is not null) dxa[dxo + r * C + i] += s * (dy[i] * wa[wo + i] - xHat * meanGx);
                        }
                    }
                }
            });
            if (wc.RequiresGrad)
            {
                var dwTotal = wc.GradBuffer();
                for (int c = 0; c < chunks; c++)
                    for (int i = 0; i < C; i++) dwTotal[i] += partialDw[c * C + i];
            }
        });
    }
}
