using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Entropy of softmax(logits) per row: H_i = −Σ_j p_ij·log p_ij = logsumexp(x_i) − Σ_j p_ij·x_ij (PPO entropy
    /// bonus). logits (B, T, V) (any (..., V)) → (B, T). Logits must be finite (a −∞ logit gives 0·∞ = NaN).
    /// Backward: dx_ij = −dH_i·p_ij·(x_ij − Σ_k p_ik·x_ik), one fused pass per row from the saved log-sum-exp and mean.
    /// </summary>
    public static Tensor Entropy(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank < 1 || logits.Shape[^1] == 0)
            throw new TensorShapeException($"Entropy: logits must be (..., V) with V > 0, got {Tensor.ShapeString(logits.Shape)}");
        var xc = logits.Contiguous();
        int V = xc.Shape[^1], rows = xc.Size / V;
        var lse = new float[rows];
        var mean = new float[rows]; // E_p[x]
        var y = Tensor.Uninitialized(xc.Shape[..^1].ToArray());
        float[] xa = xc.Storage, ya = y.Storage; int xo = xc.Offset;
        RowPartition.For(rows, 4L * V, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var x = xa.AsSpan(xo + r * V, V);
                float m = SoftmaxKernel.Max(x);
                var (s, d) = SoftmaxKernel.ExpSumDot(x, m, FastExp.Prefer512);
                lse[r] = m + MathF.Log(s);
                mean[r] = d / s;
                ya[r] = lse[r] - mean[r];
            }
        });
        return Tensor.Record(y, "Entropy", [xc], g =>
        {
            var (dxa, dxo) = GradStorage.Of(xc);
            float[] ga = g.Storage; int go = g.Offset;
            RowPartition.For(rows, 4L * V, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                    SoftmaxKernel.ExpCentredAxpy(xa.AsSpan(xo + r * V, V), lse[r], mean[r], -ga[go + r], dxa.AsSpan(dxo + r * V, V), FastExp.Prefer512);
            });
        });
    }
}
