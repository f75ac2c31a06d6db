using System.Text.Json;
using Rlhf.Cli;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Cli.Tests;

/// <summary>End-to-end runs of the <c>rlhf</c> verbs in-process, on tiny inputs: output format, values, exit codes.</summary>
public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private static JsonElement[] JsonLines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    [Fact]
    public void BenchPeak_Json_PrintsOnePositiveLine()
    {
        var (code, output, error) = Run("bench", "peak", "--json", "--seconds", "0.05", "--threads", "1");
        Assert.True(code == 0, error);
        var line = Assert.Single(JsonLines(output));
        Assert.Equal("peak", line.GetProperty("bench").GetString());
        Assert.Equal(1, line.GetProperty("cores").GetInt32());
        Assert.Equal(FmaPeak.NativeWidth, line.GetProperty("width").GetInt32());
        double gflops = line.GetProperty("gflops").GetDouble();
        Assert.True(gflops > 0 && double.IsFinite(gflops), $"gflops {gflops}");
        Assert.Equal(gflops, line.GetProperty("gflops_per_core").GetDouble(), 1);
    }

    [Fact]
    public void BenchGemm_Json_OneLinePerShape_WithPercentOfGivenPeak()
    {
        var (code, output, error) = Run("bench", "gemm", "--json", "--repeats", "3", "--peak", "50", "--threads", "2",
            "--shape", "64x48x32:NT", "--shape", "33x17x9:TN");
        Assert.True(code == 0, error);
        var lines = JsonLines(output); // --peak given: no peak line
        Assert.Equal(2, lines.Length);
        Assert.Equal(["64x48x32", "33x17x9"], lines.Select(l => l.GetProperty("shape").GetString()));
        Assert.Equal(["NT", "TN"], lines.Select(l => l.GetProperty("variant").GetString()));
        foreach (var l in lines)
        {
            Assert.Equal("gemm", l.GetProperty("bench").GetString());
            Assert.Equal("rlhf", l.GetProperty("impl").GetString());
            Assert.Equal(Gemm.NativeKernel.ToString(), l.GetProperty("kernel").GetString());
            Assert.Equal(2, l.GetProperty("threads").GetInt32());
            Assert.Equal(3, l.GetProperty("repeats").GetInt32());
            double gflops = l.GetProperty("gflops").GetDouble();
            Assert.True(gflops > 0, $"gflops {gflops}");
            Assert.Equal(100 * gflops / 50, l.GetProperty("pct_of_peak").GetDouble(), 0.1); // rounding of both fields
        }
    }

    [Fact]
    public void BenchGemm_Table_ShowsShapeAndPercent()
    {
        var (code, output, error) = Run("bench", "gemm", "--repeats", "1", "--peak", "100", "--shape", "16x24x8:TT");
        Assert.True(code == 0, error);
        Assert.Contains("16×24×8", output);
        Assert.Contains("TT (Aᵀ·Bᵀ)", output);
        Assert.Contains("% of peak", output);
        Assert.DoesNotContain("{", output);
    }

    [Theory]
    [InlineData("--repeats must be at least 1", "bench", "gemm", "--repeats", "0")]
    [InlineData("not a GEMM shape", "bench", "gemm", "--shape", "64x32")]
    [InlineData("not a GEMM shape", "bench", "gemm", "--shape", "64x32x16:XN")]
    [InlineData("--peak must be a positive", "bench", "gemm", "--peak", "-3")]
    [InlineData("--threads must be at least 1", "bench", "peak", "--threads", "0")]
    [InlineData("--seconds must be in", "bench", "peak", "--seconds", "0")]
    [InlineData("--repeats", "bench", "gemm", "--repeats", "many")]
    [InlineData("nope", "bench", "nope")]
    public void BadArguments_FailWithMessage(string expected, params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error + output);
    }
}
