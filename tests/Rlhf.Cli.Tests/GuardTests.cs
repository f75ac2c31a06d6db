using System.Globalization;
using System.Text.Json;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf guard replay</c> over synthetic metrics logs.</summary>
public sealed class GuardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-guard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// An over-optimising run: proxy rises linearly, gold = d(1 − 0.5 d) over d = i/50 (peak 0.5 at iteration 50, falling
    /// to 0 at iteration 100), KL grows 0.02 per iteration.
    /// </summary>
    private string WriteRun(bool withGold)
    {
        string path = Path.Combine(_dir, "metrics.jsonl");
        File.WriteAllLines(path, Enumerable.Range(1, 100).Select(i =>
        {
            double d = i / 50.0;
            var line = new Dictionary<string, double> { ["step"] = i, ["proxy_reward"] = 0.02 * i, ["kl"] = 0.02 * i, ["response_length"] = 20 };
            if (withGold) line["gold_reward"] = d * (1 - 0.5 * d);
            return JsonSerializer.Serialize(line);
        }));
        return path;
    }

    [Fact]
    public void Replay_StopsAfterTheGoldPeak_AndKeepsTheBestIteration()
    {
        WriteRun(withGold: true);
        var (code, output, error) = InProcessCli.Run("guard", "replay", "--metrics", _dir, "--json");
        Assert.True(code == 0, error);
        var r = JsonDocument.Parse(output).RootElement;
        Assert.Equal(50, r.GetProperty("gold_peak_iteration").GetInt32());
        int stop = r.GetProperty("stop_iteration").GetInt32();
        Assert.InRange(stop, 51, 80);
        Assert.Contains("gold", r.GetProperty("stop_reason").GetString());
        Assert.Equal(50, r.GetProperty("kept_iteration").GetInt32());
        Assert.True(r.GetProperty("stop_gold").GetDouble() >= 0.8 * 0.5, output); // patience + smoothing lag: the stop trails the peak, the kept checkpoint is the peak
    }

    [Fact]
    public void Replay_WithAKlBudget_StopsAtTheBudget_AndTextOutputSaysWhy()
    {
        WriteRun(withGold: false);
        var (code, output, error) = InProcessCli.Run("guard", "replay", "--metrics", Path.Combine(_dir, "metrics.jsonl"), "--guard-kl-budget", "0.5");
        Assert.True(code == 0, error);
        Assert.Contains("would stop at iteration 26", output); // KL 0.52 > 0.5 first at iteration 26
        Assert.Contains(0.5.ToString(CultureInfo.InvariantCulture), output);
    }

    [Fact]
    public void Replay_OfAMissingFile_NamesIt()
    {
        var (code, _, error) = InProcessCli.Run("guard", "replay", "--metrics", Path.Combine(_dir, "nope.jsonl"));
        Assert.NotEqual(0, code);
        Assert.Contains("nope.jsonl", error);
    }

    [Fact]
    public void ReportOveropt_WritesThePlotAndATable_FromTheSameRun()
    {
        WriteRun(withGold: true);
        string outDir = Path.Combine(_dir, "rep");
        var (code, output, error) = InProcessCli.Run("report", "overopt", "--run", $"free={_dir}", "--out", outDir, "--window", "1", "--every", "10");
        Assert.True(code == 0, error);
        Assert.Contains("| free | 50 (gold peak) |", output);
        Assert.Contains("free: gold gain", output);
        var svg = File.ReadAllText(Path.Combine(outDir, "overopt.svg"));
        Assert.Contains("free proxy", svg);
        Assert.Contains("free gold", svg);
        Assert.True(File.Exists(Path.Combine(outDir, "overopt.json")));
        var bad = InProcessCli.Run("report", "overopt", "--run", Path.Combine(_dir, "missing"), "--out", outDir);
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("missing", bad.Err);
    }
}
