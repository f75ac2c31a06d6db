using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Mean cross-entropy of integer targets under softmax(logits), fused with the log-softmax:
    /// ℓ_i = logsumexp(x_i) − x_i[t_i], loss = Σ_i w_i·ℓ_i / Σ_i w_i over positions with t_i ≠ <paramref name="ignoreIndex"/>
    /// (w_i = 1 without <paramref name="weights"/>, so the plain mean over non-ignored positions; with a 0/1 mask it
    /// is the mean over the masked-in positions). logits (N, V) or (B, T, V) (any (..., V)), targets one per row.
    /// <para>
    /// All positions ignored (or Σ w = 0): the loss is 0 and the gradient is 0 (PyTorch would return NaN).
    /// Backward: dx_i = g·w_i/Σw·(softmax(x_i) − onehot(t_i)), one pass per row recomputing softmax from the saved
    /// per-row log-sum-exp. Ignored rows get no gradient.
    /// </para>
    /// </summary>
    /// <param name="weights">Optional per-position weight (or 0/1 mask), one per row.</param>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, int ignoreIndex = -100, float[]? weights = null)
    {
        var (xc, rows, V) = CheckCrossEntropyArgs("CrossEntropy", logits, targets, ignoreIndex);
        if (weights is not null && weights.Length != rows)
            throw new TensorShapeException($"CrossEntropy: {weights.Length} weights for logits {Tensor.ShapeString(logits.Shape)} ({rows} positions)");
        var t = (int[])targets.Clone();
        var w = weights is null ? null : (float[])weights.Clone();
        var lse = new float[rows];
        float[] xa = xc.Storage; int xo = xc.Offset;
        CrossEntropyKernel.LogSumExpRows(xa, xo, rows, V, t, ignoreIndex, lse);

        double sum = 0, wsum = 0; // in position order: deterministic
        for (int r = 0; r < rows; r++)
        {
            if (t[r] == ignoreIndex) continue;
            double wr = w is null ? 1.0 : w[r];
            sum += wr * (lse[r] - xa[xo + r * V + t[r]]);
            wsum += wr;
        }
        var loss = Tensor.Scalar(wsum == 0 ? 0f : (float)(sum / wsum));
        return Tensor.Record(loss, "CrossEntropy", [xc], g =>
        {
            if (wsum == 0) { xc.GradBuffer(); return; } // all ignored: an explicit zero gradient
            float scale = (float)(g.Span[0] / wsum);
            var alpha = new float[rows];
            for (int r = 0; r < rows; r++) alpha[r] = w is null ? scale : scale * w[r];
            var (dxa, dxo) = GradStorage.Of(xc);
            CrossEntropyKernel.SoftmaxMinusOneHotRows(xa, xo, rows, V, t, ignoreIndex, lse, alpha, dxa, dxo);
        });
    }

    /// <summary>
    /// Unreduced cross-entropy: ℓ_i = logsumexp(x_i) − x_i[t_i] per position, 0 where t_i = <paramref name="ignoreIndex"/>.
    /// logits (..., V) → (...). Backward: dx_i = dℓ_i·(softmax(x_i) − onehot(t_i)); ignored rows get no gradient.
    /// </summary>
    public static Tensor CrossEntropyPerPosition(Tensor logits, int[] targets, int ignoreIndex = -100)
    {
        var (xc, rows, V) = CheckCrossEntropyArgs("CrossEntropyPerPosition", logits, targets, ignoreIndex);
        var t = (int[])targets.Clone();
        var lse = new float[rows];
        float[] xa = xc.Storage; int xo = xc.Offset;
        CrossEntropyKernel.LogSumExpRows(xa, xo, rows, V, t, ignoreIndex, lse);
        var y = Tensor.Zeros(logits.Shape[..^1].ToArray());
        var ys = y.Span;
        for (int r = 0; r < rows; r++)
            if (t[r] != ignoreIndex) ys[r] = lse[r] - xa[xo + r * V + t[r]];
        return Tensor.Record(y, "CrossEntropyPerPosition", [xc], g =>
        {
            var alpha = g.ToArray();
            var (dxa, dxo) = GradStorage.Of(xc);
            CrossEntropyKernel.SoftmaxMinusOneHotRows(xa, xo, rows, V, t, ignoreIndex, lse, alpha, dxa, dxo);
        });
    }

    private static (Tensor Logits, int Rows, int V) CheckCrossEntropyArgs(string op, Tensor logits, int[] targets, int? ignoreIndex)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank < 2 || logits.Shape[^1] == 0)
            throw new TensorShapeException($"{op}: logits must be (..., V) with rank ≥ 2 and V > 0, got {Tensor.ShapeString(logits.Shape)}");
        int V = logits.Shape[^1], rows = logits.Size / V;
        if (targets.Length != rows)
            throw new TensorShapeException(
                $"{op}: targets [{targets.Length}] do not match logits {Tensor.ShapeString(logits.Shape)} (expected {rows} = {Tensor.ShapeString(logits.Shape[..^1])} targets)");
        CrossEntropyKernel.ValidateTargets(op, targets, V, ignoreIndex);
        return (logits.Contiguous(), rows, V);
    }
}
