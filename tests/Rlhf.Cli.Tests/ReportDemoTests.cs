using System.Globalization;

namespace Rlhf.Cli.Tests;

/// <summary>
/// <c>rlhf report demo --dir D</c>: on a small demo directory (PPO whose gold peaks at iteration 4 then falls, the
/// other stages not run) it writes D/report.html and prints the summary table; on a directory without demo.json it
/// fails with a clear error and a non-zero exit code.
/// </summary>
public sealed class ReportDemoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-report-demo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WritesTheReport_AndPrintsTheSummaryTable()
    {
        string demo = Path.Combine(_dir, "demo");
        Directory.CreateDirectory(Path.Combine(demo, "ppo"));
        File.WriteAllText(Path.Combine(demo, "demo.json"),
            """{"seed": 3, "quick": true, "stages": [{"name": "ppo", "status": "done", "seconds": 2.5, "commands": ["rlhf ppo --iterations 8"]}]}""");
        var lines = Enumerable.Range(1, 8).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"{{\"step\":{i},\"proxy_reward\":{0.1 * i},\"kl\":{0.04 * (i - 1) * (i - 1)},\"gold_reward\":{0.3 - 0.1 * Math.Abs(i - 4)},\"response_length\":20}}"));
        File.WriteAllLines(Path.Combine(demo, "ppo", "metrics.jsonl"), lines);

        var (code, output, error) = InProcessCli.Run("report", "demo", "--dir", demo);
        Assert.True(code == 0, error + output);
        string report = Path.Combine(demo, "report.html");
        Assert.True(File.Exists(report));
        Assert.Contains("<svg", File.ReadAllText(report));
        Assert.Contains("rlhf demo — quick, seed 3", output);
        Assert.Contains("0.300 at iteration 4, √KL 0.600", output); // the gold peak
        Assert.Contains("not run", output);                          // e.g. grpo
        Assert.Contains($"wrote {report}", output);
    }

    [Fact]
    public void ADirectoryWithoutDemoJson_IsAClearError()
    {
        var (code, output, error) = InProcessCli.Run("report", "demo", "--dir", _dir);
        Assert.NotEqual(0, code);
        Assert.Contains("no demo.json", error);
        Assert.Contains("rlhf demo --out", error);
        Assert.False(File.Exists(Path.Combine(_dir, "report.html")));
        Assert.DoesNotContain("wrote", output);

        (code, _, error) = InProcessCli.Run("report", "demo", "--dir", Path.Combine(_dir, "missing"));
        Assert.NotEqual(0, code);
        Assert.Contains("no such directory", error);
    }
}
