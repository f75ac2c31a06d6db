namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Naive scalar twin of <see cref="AttentionKernel"/> (same layouts and contracts, plain loops, double accumulators):
/// the test oracle for the blocked GEMM implementation. O(B·nHead·T²·hs) with no blocking; not for production.
/// </summary>
public static class AttentionReference
{
    /// <summary>
    /// out (B, T, C) = causal softmax(q·kᵀ/√hs)·v per head from qkv (B, T, 3C); probs (B, nHead, T, T) or empty;
    /// keyMask (B, T) or empty, true = real key; an all-masked query gives 0.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> qkv, Span<float> output, Span<float> probs, int batch, int T, int C, int nHead,
        ReadOnlySpan<bool> keyMask)
    {
        int hs = C / nHead, ld = 3 * C;
        double scale = 1.0 / Math.Sqrt(hs);
        var p = new double[T];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < nHead; h++)
                for (int i = 0; i < T; i++)
                {
                    int qi = (b * T + i) * ld + h * hs;
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < T; j++)
                    {
                        p[j] = double.NegativeInfinity;
                        if (j > i || (!keyMask.IsEmpty && !keyMask[b * T + j])) continue;
                        int kj = (b * T + j) * ld + C + h * hs;
                        double dot = 0;
                        for (int d = 0; d < hs; d++) dot += (double)qkv[qi + d] * qkv[kj + d];
                        p[j] = dot * scale;
                        max = Math.Max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < T; j++)
                    {
                        p[j] = double.IsNegativeInfinity(p[j]) ? 0 : Math.Exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int j = 0; j < T; j++)
                    {
                        if (sum > 0) p[j] /= sum;
                        if (!probs.IsEmpty) probs[((b * nHead + h) * T + i) * T + j] = (float)p[j];
                    }
                    for (int d = 0; d < hs; d++)
                    {
                        double acc = 0;
                        for (int j = 0; j < T; j++) acc += p[j] * qkv[(b * T + j) * ld + 2 * C + h * hs + d];
                        output[(b * T + i) * C + h * hs + d] = (float)acc;
                    }
                }
    }

    /// <summary>d(qkv) += gradient of <see cref="Forward"/> given dOut (B, T, C) and probs (B, nHead, T, T).</summary>
    public static void Backward(ReadOnlySpan<float> qkv, ReadOnlySpan<float> probs, ReadOnlySpan<float> dOutput, Span<float> dQkv,
        int batch, int T, int C, int nHead)
    {
        int hs = C / nHead, ld = 3 * C;
        double scale = 1.0 / Math.Sqrt(hs);
        var dp = new double[T];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < nHead; h++)
                for (int i = 0; i < T; i++)
                {
                    int pRow = ((b * nHead + h) * T + i) * T, o = (b * T + i) * C + h * hs;
                    // dP[i, j] = dOut[i]·v[j];  dS = P ⊙ (dP − Σ_j dP·P)
                    double dot = 0;
                    for (int j = 0; j <= i; j++)
                    {
                        int vj = (b * T + j) * ld + 2 * C + h * hs;
                        double s = 0;
                        for (int d = 0; d < hs; d++) s += (double)dOutput[o + d] * qkv[vj + d];
                        dp[j] = s;
                        dot += s * probs[pRow + j];
                    }
                    int qi = (b * T + i) * ld + h * hs;
                    for (int j = 0; j <= i; j++)
                    {
                        double pij = probs[pRow + j];
                        double ds = pij * (dp[j] - dot) * scale;
                        int kj = (b * T + j) * ld + C + h * hs, vj = kj + C;
                        for (int d = 0; d < hs; d++)
                        {
                            dQkv[qi + d] += (float)(ds * qkv[kj + d]);
                            dQkv[kj + d] += (float)(ds * qkv[qi + d]);
                            dQkv[vj + d] += (float)(pij * dOutput[o + d]);
                        }
                    }
                }
    }
}
