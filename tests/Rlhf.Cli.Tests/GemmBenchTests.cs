using Rlhf.Cli.Bench;

namespace Rlhf.Cli.Tests;

/// <summary>Shape parsing, the standard shape list, and the statistics the GEMM benchmark reports.</summary>
public class GemmBenchTests
{
    [Theory]
    [InlineData("512x3072x768:NT", 512, 3072, 768, false, true)]
    [InlineData("768X512x3072:tn", 768, 512, 3072, true, false)]
    [InlineData("1024x1024x1024", 1024, 1024, 1024, false, false)]
    [InlineData("3x5x7:TT", 3, 5, 7, true, true)]
    public void TryParse_ReadsDimensionsAndVariant(string text, int m, int k, int n, bool ta, bool tb)
    {
        var c = GemmCase.TryParse(text, out var error);
        Assert.Null(error);
        Assert.Equal(new GemmCase(m, k, n, ta, tb), c);
        Assert.Equal(c, GemmCase.TryParse(c!.ToString(), out _)); // round trip
    }

    [Theory]
    [InlineData("")]
    [InlineData("64x32")]
    [InlineData("0x4x4")]
    [InlineData("-1x4x4")]
    [InlineData("4x4x4:N")]
    [InlineData("4x4x4:NN:NN")]
    [InlineData("4x4x99999")]
    public void TryParse_RejectsMalformed(string text)
    {
        Assert.Null(GemmCase.TryParse(text, out var error));
        Assert.Contains("MxKxN", error);
    }

    [Fact]
    public void Standard_CoversGptForwardAndBothBackwardShapes()
    {
        Assert.Equal(["1024x1024x1024:NN", "512x768x3072:NN", "512x3072x768:NT", "768x512x3072:TN", "2048x2048x2048:NN"],
            GemmCase.Standard.Select(c => c.ToString()));
        Assert.Equal(2.0 * 512 * 768 * 3072, GemmCase.Standard[1].Flops);
        Assert.Equal("A·Bᵀ", GemmCase.Standard[2].Formula);
    }

    [Fact]
    public void Median_OddAndEvenCounts()
    {
        Assert.Equal(3.0, GemmBench.Median([5.0, 1.0, 3.0]));
        Assert.Equal(2.5, GemmBench.Median([4.0, 1.0, 2.0, 3.0]));
        Assert.Throws<ArgumentException>(() => GemmBench.Median([]));
    }

    [Fact]
    public void Gflops_IsFlopsOverSecondsOverBillion() =>
        Assert.Equal(4.0, GemmBench.Gflops(2.0 * 1000 * 1000 * 1000, 0.5), 12);

    [Theory]
    [InlineData(37, 19, 23, false, false)]
    [InlineData(37, 19, 23, false, true)]
    [InlineData(37, 19, 23, true, false)]
    [InlineData(37, 19, 23, true, true)]
    public void MedianSeconds_RunsEveryVariantCorrectly(int m, int k, int n, bool ta, bool tb)
    {
        // MedianSeconds spot-checks C against a double dot product and throws on a mismatch
        double seconds = GemmBench.MedianSeconds(new GemmCase(m, k, n, ta, tb), 2);
        Assert.True(seconds > 0 && double.IsFinite(seconds));
    }
}
