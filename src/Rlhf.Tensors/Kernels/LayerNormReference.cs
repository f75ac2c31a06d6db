namespace Rlhf.Tensors.Kernels;

/// <summary>Readable scalar twin of <see cref="LayerNormKernel"/> (double accumulators): test oracle and fallback.</summary>
internal static class LayerNormReference
{
    /// <summary>y = (x − μ)·rstd·γ + β; returns (μ, rstd) with rstd = 1/√(var + eps), var biased.</summary>
    public static (float Mean, float Rstd) ForwardRow(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, Span<float> y)
    {
        int n = x.Length;
        double sum = 0;
        foreach (float v in x) sum += v;
        float mean = (float)(sum / n);
        double var = 0;
        foreach (float v in x) var += (double)(v - mean) * (v - mean);
        float rstd = (float)(1.0 / Math.Sqrt(var / n + eps));
        for (int i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
        return (mean, rstd);
    }

    /// <summary>dγ += dy⊙x̂, dβ += dy, dx += rstd·(g − mean(g) − x̂·mean(g⊙x̂)) with g = dy⊙γ (dx skipped when empty).</summary>
    public static void BackwardRow(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma, float mean, float rstd,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        int n = x.Length;
        double sum1 = 0, sum2 = 0;
        for (int i = 0; i < n; i++)
        {
            float norm = (x[i] - mean) * rstd, g = dy[i] * gamma[i];
            sum1 += g;
            sum2 += (double)g * norm;
            dgamma[i] += dy[i] * norm;
            dbeta[i] += dy[i];
        }
        if (dx.IsEmpty) return;
        float mean1 = (float)(sum1 / n), mean2 = (float)(sum2 / n);
        for (int i = 0; i < n; i++)
        {
            float norm = (x[i] - mean) * rstd, g = dy[i] * gamma[i];
            dx[i] += (g - mean1 - norm * mean2) * rstd;
        }
    }
}
