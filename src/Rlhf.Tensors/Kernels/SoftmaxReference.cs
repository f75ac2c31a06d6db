namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Readable scalar twin of <see cref="SoftmaxKernel"/>: the same routines as plain loops with <see cref="MathF.Exp"/>
/// and double accumulators. The test oracle for the SIMD paths and the fallback on hardware without Vector256.
/// </summary>
internal static class SoftmaxReference
{
    /// <summary>max_j x[j] (NaN propagates).</summary>
    public static float Max(ReadOnlySpan<float> x)
    {
        float m = float.NegativeInfinity;
        foreach (float v in x)
        {
            if (float.IsNaN(v)) return v;
            if (v > m) m = v;
        }
        return m;
    }

    /// <summary>Σ_j exp(scale·x[j] − shift).</summary>
    public static float ExpSum(ReadOnlySpan<float> x, float scale, float shift)
    {
        double sum = 0;
        foreach (float v in x) sum += MathF.Exp(scale * v - shift);
        return (float)sum;
    }

    /// <summary>y[j] = exp(scale·x[j] − shift); returns Σ_j y[j].</summary>
    public static float ExpStore(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        double sum = 0;
        for (int j = 0; j < x.Length; j++)
        {
            y[j] = MathF.Exp(scale * x[j] - shift);
            sum += y[j];
        }
        return (float)sum;
    }

    /// <summary>dst[j] += alpha·exp(x[j] − shift).</summary>
    public static void ExpAxpy(ReadOnlySpan<float> x, float shift, float alpha, Span<float> dst)
    {
        for (int j = 0; j < x.Length; j++) dst[j] += alpha * MathF.Exp(x[j] - shift);
    }

    /// <summary>y[j] = alpha·exp(x[j] − shift) (y may alias x).</summary>
    public static void ExpScale(ReadOnlySpan<float> x, float shift, float alpha, Span<float> y)
    {
        for (int j = 0; j < x.Length; j++) y[j] = alpha * MathF.Exp(x[j] - shift);
    }

    /// <summary>(Σ_j e_j, Σ_j e_j·x[j]) with e_j = exp(x[j] − shift).</summary>
    public static (float Sum, float Dot) ExpSumDot(ReadOnlySpan<float> x, float shift)
    {
        double sum = 0, dot = 0;
        foreach (float v in x)
        {
            double e = MathF.Exp(v - shift);
            sum += e;
            dot += e * v;
        }
        return ((float)sum, (float)dot);
    }

    /// <summary>dst[j] += alpha·exp(x[j] − shift)·(x[j] − centre).</summary>
    public static void ExpCentredAxpy(ReadOnlySpan<float> x, float shift, float centre, float alpha, Span<float> dst)
    {
        for (int j = 0; j < x.Length; j++) dst[j] += alpha * MathF.Exp(x[j] - shift) * (x[j] - centre);
    }

    /// <summary>dx[j] += y[j]·(dy[j] − c).</summary>
    public static void MulShiftedAdd(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float c, Span<float> dx)
    {
        for (int j = 0; j < y.Length; j++) dx[j] += y[j] * (dy[j] - c);
    }

    /// <summary>log Σ_j exp(x[j]), computed as m + log Σ exp(x − m).</summary>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        float m = Max(x);
        if (float.IsNegativeInfinity(m)) return m;
        return m + MathF.Log(ExpSum(x, 1f, m));
    }

    /// <summary>y = exp(x − max) / Σ exp(x − max).</summary>
    public static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length == 0) return;
        float s = ExpStore(x, 1f, Max(x), y);
        for (int j = 0; j < y.Length; j++) y[j] /= s;
    }

    /// <summary>y = x − logsumexp(x).</summary>
    public static void LogSoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length == 0) return;
        float lse = LogSumExp(x);
        for (int j = 0; j < x.Length; j++) y[j] = x[j] - lse;
    }

    /// <summary>dx += y ⊙ (dy − Σ dy·y).</summary>
    public static void SoftmaxBackwardRow(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        double dot = 0;
        for (int j = 0; j < y.Length; j++) dot += (double)dy[j] * y[j];
        MulShiftedAdd(y, dy, (float)dot, dx);
    }

    /// <summary>dx += dy − exp(y)·Σ dy where y = log_softmax(x).</summary>
    public static void LogSoftmaxBackwardRow(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        double sum = 0;
        foreach (float g in dy) sum += g;
        for (int j = 0; j < y.Length; j++) dx[j] += dy[j] - MathF.Exp(y[j]) * (float)sum;
    }
}
