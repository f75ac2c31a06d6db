using System.Diagnostics;
using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Cli.Bench;

/// <summary>Times <see cref="Gemm.Multiply"/> on one <see cref="GemmCase"/>: warm-up, then the median of N timed runs.</summary>
public static class GemmBench
{
    /// <summary>Median of <paramref name="values"/> (mean of the two middle ones for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("Median of no values", nameof(values));
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>GFLOP/s = flops / seconds / 1e9.</summary>
    public static double Gflops(double flops, double seconds) => flops / seconds / 1e9;

    /// <summary>
    /// Runs C = op(A)·op(B) to warm up (at least twice and 0.2 s, so tiered JIT has promoted the kernel, packing
    /// buffers exist and pages are touched), then <paramref name="repeats"/> timed
    /// times; returns the median wall seconds. Operands are dense (leading dimension = row length) uniform [-1, 1).
    /// A few entries of C are checked against a double-precision dot product, so a benchmark of a wrong result fails.
    /// </summary>
    public static double MedianSeconds(GemmCase c, int repeats)
    {
        var rng = new Rng(1234);
        int lda = c.TransA ? c.M : c.K, ldb = c.TransB ? c.K : c.N;
        var a = new float[c.M * c.K];
        var b = new float[c.K * c.N];
        var result = new float[c.M * c.N];
        rng.FillUniform(a, -1f, 1f);
        rng.FillUniform(b, -1f, 1f);

        long warm = Stopwatch.GetTimestamp();
        for (int w = 0; w < 2 || Stopwatch.GetElapsedTime(warm).TotalSeconds < 0.2; w++)
            Gemm.Multiply(c.TransA, c.TransB, c.M, c.N, c.K, a, lda, b, ldb, result, c.N, accumulate: false);
        SpotCheck(c, a, lda, b, ldb, result);
        var times = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Gemm.Multiply(c.TransA, c.TransB, c.M, c.N, c.K, a, lda, b, ldb, result, c.N, accumulate: false);
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        return Median(times);
    }

    private static void SpotCheck(GemmCase c, float[] a, int lda, float[] b, int ldb, float[] result)
    {
        ReadOnlySpan<(int I, int J)> points = [(0, 0), (c.M - 1, c.N - 1), (c.M / 2, c.N / 3)];
        foreach (var (i, j) in points)
        {
            double sum = 0;
            for (int p = 0; p < c.K; p++)
                sum += (double)(c.TransA ? a[p * lda + i] : a[i * lda + p]) * (c.TransB ? b[j * ldb + p] : b[p * ldb + j]);
            double got = result[i * c.N + j];
            if (Math.Abs(got - sum) > 1e-4 * Math.Sqrt(c.K) * (1 + Math.Abs(sum)))
                throw new InvalidOperationException($"gemm {c.Shape}:{c.Variant}: C[{i},{j}] = {got}, expected {sum}");
        }
    }
}
