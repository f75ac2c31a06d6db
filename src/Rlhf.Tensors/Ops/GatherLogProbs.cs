using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Log-probabilities of the chosen tokens: out_i = log_softmax(x_i)[t_i] = x_i[t_i] − logsumexp(x_i) — log π(a|s)
    /// per token for policy-gradient losses. logits (B, T, V) (any (..., V)), targets one per row, all in [0, V)
    /// (no ignore index: mask unwanted positions in the loss) → (B, T).
    /// Backward: dx_i = dout_i·(onehot(t_i) − softmax(x_i)), one fused pass per row from the saved log-sum-exp.
    /// </summary>
    public static Tensor GatherLogProbs(Tensor logits, int[] targets)
    {
        var (xc, rows, V) = CheckCrossEntropyArgs("GatherLogProbs", logits, targets, null);
        const int noIgnore = int.MinValue; // validated above: no target equals it
        var t = (int[])targets.Clone();
        var lse = new float[rows];
        float[] xa = xc.Storage; int xo = xc.Offset;
        CrossEntropyKernel.LogSumExpRows(xa, xo, rows, V, t, noIgnore, lse);
        var y = Tensor.Uninitialized(logits.Shape[..^1].ToArray());
        var ys = y.Span;
        for (int r = 0; r < rows; r++) ys[r] = xa[xo + r * V + t[r]] - lse[r];
        return Tensor.Record(y, "GatherLogProbs", [xc], g =>
        {
            var alpha = g.ToArray();
            for (int r = 0; r < rows; r++) alpha[r] = -alpha[r];
            var (dxa, dxo) = GradStorage.Of(xc);
            CrossEntropyKernel.SoftmaxMinusOneHotRows(xa, xo, rows, V, t, noIgnore, lse, alpha, dxa, dxo);
        });
    }
}
