using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

/// <summary>The FMA peak probe counts exactly the flops its loops execute, and a short run gives a sane rate.</summary>
public class FmaPeakTests
{
    [Theory]
    [InlineData(512, 12 * 16 * 2)]
    [InlineData(256, 12 * 8 * 2)]
    [InlineData(32, 12 * 1 * 2)]
    public void FlopsPerIteration_IsAccumulatorsTimesLanesTimesTwo(int width, long expected) =>
        Assert.Equal(expected, FmaPeak.FlopsPerIteration(width));

    [Fact]
    public void FlopsPerIteration_RejectsUnknownWidth()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FmaPeak.FlopsPerIteration(128));
        Assert.Contains("128", e.Message);
    }

    [Fact]
    public void Gflops_IsIterationsTimesFlopsOverSeconds() =>
        // 1e6 iterations × 192 flops in 0.5 s = 384 MFLOP/s
        Assert.Equal(0.384, FmaPeak.Gflops(1_000_000, 256, 0.5), 12);

    // With m = b = 1, chain j holds j + n after n iterations in every lane, so the lane sum is
    // lanes · Σ_{j<12} (j + n) = lanes · (66 + 12 n): exact in float, and wrong if a chain, a lane or an iteration is missing.
    [Theory]
    [InlineData(512, 16)]
    [InlineData(256, 8)]
    [InlineData(32, 1)]
    public void Spin_ExecutesTheCountedFmas(int width, int lanes)
    {
        foreach (long n in new long[] { 0, 1, 7, 1000 })
            Assert.Equal(lanes * (66f + 12f * n), FmaPeak.Spin(width, n, 1f, 1f));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Measure_ShortRun_GivesConsistentPositiveRate(int threads)
    {
        var r = FmaPeak.Measure(TimeSpan.FromMilliseconds(50), threads);
        Assert.True(double.IsFinite(r.Gflops) && r.Gflops > 0, $"gflops {r.Gflops}");
        Assert.Equal(threads, r.Cores);
        Assert.Equal(FmaPeak.NativeWidth, r.Width);
        Assert.True(r.Seconds >= 0.05, $"ran {r.Seconds} s, asked for 0.05 s");
        Assert.True(r.Iterations > 0);
        Assert.Equal(FmaPeak.Gflops(r.Iterations, r.Width, r.Seconds), r.Gflops, 9);
        Assert.Equal(r.Gflops / threads, r.GflopsPerCore, 9);
    }

    [Fact]
    public void Measure_RejectsNonPositiveDuration() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FmaPeak.Measure(TimeSpan.Zero, 1));
}
