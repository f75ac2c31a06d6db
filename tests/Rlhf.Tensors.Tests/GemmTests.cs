using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

/// <summary>Every GEMM micro-kernel path equals the scalar reference twin on awkward shapes.</summary>
public class GemmTests
{
    public static TheoryData<GemmKernel> Kernels => [GemmKernel.Avx512, GemmKernel.Avx2, GemmKernel.Scalar];

    private static float[] Random(Rng rng, int n)
    {
        var a = new float[n];
        rng.FillUniform(a, -1f, 1f);
        return a;
    }

    private static void CompareOne(GemmKernel kernel, bool ta, bool tb, int m, int n, int k, bool accumulate, Rng rng, int pad = 0)
    {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        var a = Random(rng, Math.Max(0, (ta ? k : m) * lda));
        var b = Random(rng, Math.Max(0, (tb ? n : k) * ldb));
        var c0 = Random(rng, m * ldc);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        GemmReference.Multiply(ta, tb, m, n, k, a, Math.Max(1, lda), b, Math.Max(1, ldb), expected, Math.Max(1, ldc), accumulate);
        Gemm.Multiply(ta, tb, m, n, k, a, Math.Max(1, lda), b, Math.Max(1, ldb), actual, Math.Max(1, ldc), accumulate, kernel);
        for (int i = 0; i < expected.Length; i++)
        {
            // float accumulation over k terms of size ≤ 1: error grows like sqrt(k)·eps; padding columns must be untouched
            double tol = 1e-5 * (1 + Math.Sqrt(k)) * Math.Max(1, Math.Abs(expected[i]));
            if (Math.Abs(expected[i] - actual[i]) > tol)
                Assert.Fail($"{kernel} ta={ta} tb={tb} m={m} n={n} k={k} acc={accumulate}: C[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Gemm_EqualsReference_OnSizes0To257(GemmKernel kernel)
    {
        var rng = new Rng(7);
        // square-ish sizes 0..257 sweeping every remainder against the 6/4-row and 8/16/32-column tiles
        for (int s = 0; s <= 257; s += (s < 40 ? 1 : 17))
            CompareOne(kernel, false, false, s, s == 0 ? 3 : 257 - s + 1, s / 2 + 1, accumulate: s % 2 == 0, rng);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Gemm_TransposeVariantsAndStrides_EqualReference(GemmKernel kernel)
    {
        var rng = new Rng(8);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 33, 5), (13, 17, 300), (65, 3, 129), (2, 70, 513), (100, 100, 100) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    CompareOne(kernel, ta, tb, m, n, k, accumulate: true, rng);
                    CompareOne(kernel, ta, tb, m, n, k, accumulate: false, rng, pad: 3);
                }
    }

    [Fact]
    public void Gemm_LargeMultithreaded_IsBitIdenticalAcrossRunsAndThreadCounts()
    {
        var rng = new Rng(9);
        int m = 300, n = 260, k = 530;
        var a = Random(rng, m * k);
        var b = Random(rng, k * n);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        var c3 = new float[m * n];
        Gemm.Multiply(false, false, m, n, k, a, k, b, n, c1, n, false);
        Gemm.Multiply(false, false, m, n, k, a, k, b, n, c2, n, false);
        int saved = Gemm.MaxThreads;
        try
        {
            Gemm.MaxThreads = 1;
            Gemm.Multiply(false, false, m, n, k, a, k, b, n, c3, n, false);
        }
        finally { Gemm.MaxThreads = saved; }
        Assert.Equal(c1, c2);
        Assert.Equal(c1, c3);
        var expected = new float[m * n];
        GemmReference.Multiply(false, false, m, n, k, a, k, b, n, expected, n, false);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - c1[i]) < 1e-3, $"C[{i}]");
    }

    [Fact]
    public void Gemm_BufferTooSmall_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 4, 4, 4, new float[15], 4, new float[16], 4, new float[16], 4, false));
        Assert.Contains("A has 15 elements", ex.Message);
    }
}

/// <summary>The small-m (decode) path: short wide products, multithreaded, all transpose variants.</summary>
public class GemmSmallMTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void SmallM_WideProducts_EqualReference(bool ta, bool tb)
    {
        var rng = new Rng(21);
        foreach (var (m, n, k) in new[] { (1, 1000, 77), (8, 1152, 384), (16, 403, 129), (5, 8192, 40) })
        {
            int lda = ta ? m : k, ldb = tb ? k : n;
            var a = new float[(ta ? k : m) * lda];
            var b = new float[(tb ? n : k) * ldb];
            rng.FillUniform(a, -1, 1);
            rng.FillUniform(b, -1, 1);
            var expected = new float[m * n];
            var actual = new float[m * n];
            rng.FillUniform(expected, -1, 1);
            expected.CopyTo(actual, 0);
            GemmReference.Multiply(ta, tb, m, n, k, a, lda, b, ldb, expected, n, accumulate: true);
            Gemm.Multiply(ta, tb, m, n, k, a, lda, b, ldb, actual, n, accumulate: true);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4 * (1 + Math.Sqrt(k)), $"m={m} n={n} k={k}: C[{i}] {expected[i]} vs {actual[i]}");
        }
    }
}
