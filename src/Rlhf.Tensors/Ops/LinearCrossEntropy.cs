using Rlhf.Tensors.Autograd;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Rows per chunk are chosen so one chunk of logits holds at most about this many floats (256 MiB), rounded down
    /// to a multiple of 256 rows when that many fit: each chunk adds its dzᵀ·h into the whole (V × C) weight gradient
    /// and packs the (V × C) weight twice, so fewer, taller chunks mean fewer passes over them, and 256 is the GEMM's
    /// depth slice. At GPT-2 124M, batch 4 × 256 (1024 rows, V = 50257) that is one chunk of 206 MB: the fused loss
    /// took 11 % less CPU time than with four 256-row chunks (64 MiB cap); it holds 206 MB where the 256-row chunks
    /// with a separate gradient buffer held 2 × 51 MB.
    /// </summary>
    internal const int LinearCrossEntropyChunkFloats = 1 << 26;

    /// <summary>
    /// LM head + mean cross-entropy fused, without ever holding the (N × V) logits or their gradient:
    /// loss = Σ_i w_i·(logsumexp(z_i) − z_i[t_i]) / Σ_i w_i with z = h·Wᵀ, exactly
    /// <c>CrossEntropy(MatMul(hidden, weight, transB: true), targets, ignoreIndex, weights)</c>.
    /// hidden (..., C), weight (V, C) (the tied token embedding's layout), targets one per row of hidden.
    /// <para>
    /// The idea of Liger-Kernel's fused linear cross-entropy (linkedin/Liger-Kernel): rows are processed in chunks of
    /// at most about 256 MiB of logits. Per chunk [r0, r1):
    /// 1. z = h[r0:r1]·Wᵀ (rows × V), a GEMM into a reused chunk buffer;
    /// 2. lse_i = logsumexp(z_i); the loss sum gets w_i·(lse_i − z_i[t_i]) (double, row order: deterministic);
    /// 3. when a gradient will be needed (grad mode on and hidden or weight requires grad), the chunk's logit
    ///    gradient is formed right away, in place of z, dz_i = w_i/Σw·(softmax(z_i) − onehot(t_i)), and folded into
    ///    dh[r0:r1] = dz·W (rows × C) and dW += dzᵀ·h[r0:r1] (V × C).
    /// Backward only scales dh and dW by the incoming gradient g (a scalar) and hands them to the inputs, so the fused
    /// op does the same three GEMMs as the unfused path and no recomputation. Memory: one chunk buffer, dh (N × C)
    /// and dW (V × C, the weight's gradient, which exists anyway) instead of 2–3 × (N × V).
    /// </para>
    /// <para>
    /// Cost of computing the gradient in the forward: a forward under grad mode whose loss is never backpropagated
    /// (evaluate under <see cref="Tensor.NoGrad"/>) pays the two gradient GEMMs for nothing. Results equal the unfused
    /// path up to float summation order (dW sums chunk partial products; the GEMMs differ in blocking).
    /// All positions ignored (or Σ w = 0): loss 0 and zero gradients, as <see cref="CrossEntropy"/>.
    /// </para>
    /// </summary>
    /// <param name="weights">Optional per-position weight (or 0/1 mask), one per row.</param>
    public static Tensor LinearCrossEntropy(Tensor hidden, Tensor weight, int[] targets, int ignoreIndex = -100, float[]? weights = null) =>
        LinearCrossEntropy(hidden, weight, targets, ignoreIndex, weights, chunkRows: 0);

    /// <summary><see cref="LinearCrossEntropy(Tensor, Tensor, int[], int, float[])"/> with a given chunk height (0: at most about 256 MiB of logits; tests use small chunks).</summary>
    internal static Tensor LinearCrossEntropy(Tensor hidden, Tensor weight, int[] targets, int ignoreIndex, float[]? weights, int chunkRows)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(targets);
        if (hidden.Rank < 2 || weight.Rank != 2 || hidden.Shape[^1] != weight.Shape[1] || weight.Shape[0] == 0)
            throw new TensorShapeException(
                $"LinearCrossEntropy: expected hidden (..., C) and weight (V, C) with V > 0, got {Tensor.ShapeString(hidden.Shape)} and {Tensor.ShapeString(weight.Shape)}");
        int C = weight.Shape[1], V = weight.Shape[0], N = hidden.Size / Math.Max(1, C);
        if (targets.Length != N)
            throw new TensorShapeException(
                $"LinearCrossEntropy: targets [{targets.Length}] do not match hidden {Tensor.ShapeString(hidden.Shape)} (expected {N} = {Tensor.ShapeString(hidden.Shape[..^1])} targets)");
        if (weights is not null && weights.Length != N)
            throw new TensorShapeException($"LinearCrossEntropy: {weights.Length} weights for hidden {Tensor.ShapeString(hidden.Shape)} ({N} positions)");
        CrossEntropyKernel.ValidateTargets("LinearCrossEntropy", targets, V, ignoreIndex);
        var hc = hidden.Contiguous();
        var wc = weight.Contiguous();

        double wsum = 0;
        for (int r = 0; r < N; r++)
            if (targets[r] != ignoreIndex) wsum += weights is null ? 1.0 : weights[r];
        bool needDh = GradMode.IsEnabled && hc.RequiresGrad && wsum != 0;
        bool needDw = GradMode.IsEnabled && wc.RequiresGrad && wsum != 0;

        int R = chunkRows > 0 ? chunkRows : LinearCrossEntropyChunkFloats / V;
        if (chunkRows <= 0 && R >= 256) R -= R % 256;
        R = Math.Clamp(R, 1, Math.Max(1, N));
        var z = GradientPool.Rent(R * V, zeroed: false); // the chunk's logits, then (in place) their gradient
        var dh = needDh ? GradientPool.Rent(N * C, zeroed: false) : null;
        var dw = needDw ? GradientPool.Rent(V * C, zeroed: false) : null; // the first chunk overwrites it
        var t = new int[R];
        var lse = new float[R];
        var alpha = new float[R];
        ReadOnlySpan<float> hs = hc.Span, ws = wc.Span;
        double sum = 0;
        for (int r0 = 0; r0 < N; r0 += R)
        {
            int n = Math.Min(R, N - r0);
            Array.Copy(targets, r0, t, 0, n);
            Gemm.Multiply(false, true, n, V, C, hs.Slice(r0 * C), C, ws, C, z, V, accumulate: false);       // 1. z (n × V)
            CrossEntropyKernel.LogSumExpRows(z, 0, n, V, t, ignoreIndex, lse);                                 // 2. lse, loss
            for (int i = 0; i < n; i++)
            {
                if (t[i] == ignoreIndex) { alpha[i] = 0f; continue; }
                double wr = weights is null ? 1.0 : weights[r0 + i];
                sum += wr * (lse[i] - z[i * V + t[i]]);
                alpha[i] = (float)(wr / wsum);
            }
            if (!needDh && !needDw) continue;
            CrossEntropyKernel.SoftmaxMinusOneHotRowsInPlace(z, n, V, t, ignoreIndex, lse, alpha);           // 3. dz (in z), dh, dW
            var dz = z;
            if (dh is not null) Gemm.Multiply(false, false, n, C, V, dz, V, ws, C, dh.AsSpan(r0 * C), C, accumulate: false);
            if (dw is not null) Gemm.Multiply(true, false, V, C, n, dz, V, hs.Slice(r0 * C), C, dw, C, accumulate: r0 > 0);
        }
        GradientPool.Return(z);

        var loss = Tensor.Scalar(wsum == 0 ? 0f : (float)(sum / wsum));
        return Tensor.Record(loss, "LinearCrossEntropy", [hc, wc], g =>
        {
            float scale = g.Span[0];
            if (wsum == 0)
            {
                // all ignored: explicit zero gradients
                if (hc.RequiresGrad) hc.GradBuffer();
                if (wc.RequiresGrad) wc.GradBuffer();
                return;
            }
            if (dh is not null) hc.AccumulateGrad(dh, scale);
            if (dw is not null) wc.AccumulateGrad(dw, scale);
        });
    }
}
