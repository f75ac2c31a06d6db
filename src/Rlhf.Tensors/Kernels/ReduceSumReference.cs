namespace Rlhf.Tensors.Kernels;

/// <summary>Plain scalar twin of <see cref="ReduceSum"/>: the test oracle and the fallback without SIMD.</summary>
internal static class ReduceSumReference
{
    /// <summary>Σ x[i], left to right, in double.</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += v;
        return s;
    }

    /// <summary>acc[i] += x[i].</summary>
    public static void AccumulateRow(Span<double> acc, ReadOnlySpan<float> x)
    {
        for (int i = 0; i < x.Length; i++) acc[i] += x[i];
    }
}
