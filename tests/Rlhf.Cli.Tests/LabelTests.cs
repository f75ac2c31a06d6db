using System.Text.Json;
using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf label simulate</c> in-process.</summary>
public sealed class LabelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-label-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(params string[] lines)
    {
        string path = Path.Combine(_dir, "groups.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void Simulate_WritesRankings_AndPrintsTableOrJson()
    {
        string input = Write(
            """{"prompt": "How was it?", "completions": ["bad", "a great lovely day", "good"]}""",
            """{"prompt": "And today?", "completions": ["a good day", "an awful terrible day"]}""");
        string output = Path.Combine(_dir, "ranked.jsonl");
        var (code, stdout, error) = InProcessCli.Run("label", "simulate", "--input", input, "--out", output, "--temperature", "0", "--labelers", "2");
        Assert.True(code == 0, error);
        Assert.Contains("ceiling vs gold", stdout);
        Assert.Contains("100.0%", stdout);
        var data = PreferenceData.Load(output);
        Assert.Equal([1, 2, 0], data.Records[0].Ranking);
        Assert.Equal([0, 1], data.Records[1].Ranking);

        (code, stdout, error) = InProcessCli.Run("label", "simulate", "--input", input, "--out", output, "--seed", "3", "--json", "--model", "bradley-terry");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(2, root.GetProperty("records").GetInt32());
        Assert.Equal(3, root.GetProperty("labelers").GetInt32());
        Assert.Equal("ranked", root.GetProperty("format").GetString());
        Assert.Equal(4, root.GetProperty("pairs").GetInt32());
        Assert.InRange(root.GetProperty("inter_labeler_agreement").GetDouble(), 0, 1);
        Assert.InRange(root.GetProperty("chosen_longer_fraction").GetDouble(), 0, 1);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("length_matched_kept").ValueKind);

        (code, stdout, error) = InProcessCli.Run("label", "simulate", "--input", input, "--out", output, "--temperature", "0", "--length-matched", "1.5", "--json");
        Assert.True(code == 0, error);
        root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("pairwise", root.GetProperty("format").GetString());
        Assert.Equal(1, root.GetProperty("length_matched_kept").GetInt32()); // only "good" vs "bad" (4 vs 3 chars)
        Assert.Equal(PreferenceFormat.Pairwise, PreferenceData.Load(output).Format);
    }

    [Fact]
    public void Simulate_BadInput_PrintsFileLine_Exits1_AndWritesNothing()
    {
        string input = Write("""{"prompt": "Hi", "completions": ["a", "b"]}""", """{"prompt": "Hi", "completions": ["a"]}""");
        string output = Path.Combine(_dir, "out.jsonl");
        var (code, stdout, error) = InProcessCli.Run("label", "simulate", "--input", input, "--out", output);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains($"error: {input}:2: expected at least 2 completions to rank, found 1", error);
        Assert.False(File.Exists(output));

        (code, _, error) = InProcessCli.Run("label", "simulate", "--input", input, "--out", output, "--temperature", "-1");
        Assert.NotEqual(0, code);
        Assert.Contains("--temperature must be finite and >= 0.", error);
    }

    [Fact]
    public void Simulate_WithARewardModelAsGold_RanksByThatModel_AndRejectsAnUnknownGold()
    {
        // a tiny reward model: its score, not the lexicon, decides the order at temperature 0
        var tok = Rlhf.Models.Tokenization.BpeTrainer.Train(string.Concat(Enumerable.Repeat("User: How was it?\nAssistant: bad good great day\n", 20)), 256 + 30);
        var rm = new Rlhf.Models.RewardModel(new Rlhf.Models.Gpt(new Rlhf.Models.GptConfig(1, 1, 8, 64, tok.VocabSize), seed: 1), seed: 2);
        string gold = Path.Combine(_dir, "gold-rm");
        rm.Save(gold);
        tok.Save(gold);
        string[] completions = ["bad", "good", "great day"];
        var scorer = Rlhf.Training.Scoring.RewardModelScorer.Load(gold);
        var expected = completions.Select((c, i) => (Score: scorer.Score("How was it?", c), Index: i))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Index).Select(x => x.Index).ToArray();

        string input = Write(JsonSerializer.Serialize(new { prompt = "How was it?", completions }));
        string output = Path.Combine(_dir, "ranked.jsonl");
        var (code, _, error) = InProcessCli.Run("label", "simulate", "--input", input, "--out", output, "--temperature", "0",
            "--labelers", "1", "--gold", "rm:" + gold);
        Assert.True(code == 0, error);
        Assert.Equal(expected, PreferenceData.Load(output).Records[0].Ranking);

        var (badCode, _, badError) = InProcessCli.Run("label", "simulate", "--input", input, "--out", Path.Combine(_dir, "x.jsonl"), "--gold", "oracle");
        Assert.NotEqual(0, badCode);
        Assert.Contains("--gold must be", badError);
    }
}
