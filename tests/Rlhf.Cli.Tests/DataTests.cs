using System.Text.Json;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf data stats</c> in-process.</summary>
public sealed class DataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(params string[] lines)
    {
        string path = Path.Combine(_dir, "prefs.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void Stats_PrintsATable_AndOneJsonObject()
    {
        string path = Write(
            """{"prompt": "Hi", "chosen": "Hello there!", "rejected": "Bye"}""",
            """{"prompt": "2+2?", "chosen": "4", "rejected": "five"}""");
        var (code, output, error) = InProcessCli.Run("data", "stats", "--data", path);
        Assert.True(code == 0, error);
        Assert.Contains("pairwise", output);
        Assert.Contains("50.0% of pairs", output);

        (code, output, error) = InProcessCli.Run("data", "stats", "--data", path, "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("pairwise", root.GetProperty("format").GetString());
        Assert.Equal(2, root.GetProperty("pairs").GetInt32());
        Assert.Equal(2, root.GetProperty("k_distribution").GetProperty("2").GetInt32());
        Assert.Equal(6.5, root.GetProperty("chosen_chars_mean").GetDouble(), 12);
        Assert.Equal(0.5, root.GetProperty("chosen_longer_fraction").GetDouble(), 12);
    }

    [Fact]
    public void Stats_BadInput_PrintsFileLine_AndExits1()
    {
        string path = Write("""{"prompt": "Hi", "chosen": "a", "rejected": "b"}""", """{"prompt": "Hi", "chosen": "a", "rejected": "a"}""");
        var (code, output, error) = InProcessCli.Run("data", "stats", "--data", path);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains($"error: {path}:2: 'chosen' and 'rejected' are the same text", error);

        (code, _, error) = InProcessCli.Run("data", "stats", "--data", Path.Combine(_dir, "missing.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains("no such file", error);
    }
}
