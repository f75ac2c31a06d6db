using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf rm train|eval|score</c> in-process on a tiny fresh model.</summary>
public sealed class RmTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-rm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A tiny base model + tokenizer, and pairwise preferences: the response with "good" is chosen.</summary>
    private string Setup()
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("User: say cat dog sun good 0123456789\nAssistant: good dog\n", 30)), 256 + 16 + 1);
        HfCheckpoint.Save(P("base"), new Gpt(new GptConfig(2, 2, 32, 32, tok.VocabSize), seed: 1), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        string[] w = ["cat", "dog", "sun"];
        var rng = new Rng(5);
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 60).Select(i =>
        {
            string a = w[rng.NextInt(3)], b = w[rng.NextInt(3)];
            return JsonSerializer.Serialize(new { prompt = $"say {i}", chosen = $"{a} good {b}", rejected = $"{a} {b} {w[rng.NextInt(3)]}" });
        }));
        File.WriteAllLines(P("score.jsonl"), [JsonSerializer.Serialize(new { prompt = "say 1", response = "good dog" }), JsonSerializer.Serialize(new { prompt = "say 2", response = "sun cat" })]);
        return P("base");
    }

    [Fact]
    public void Rm_TrainEvalScore_EndToEnd_WithAnEnsemble()
    {
        string init = Setup();
        var train = InProcessCli.Run("rm", "train", "--data", P("prefs.jsonl"), "--init", init, "--out", P("run"), "--steps", "60", "--batch", "8",
            "--lr", "3e-3", "--warmup", "3", "--eval-fraction", "0.2", "--ensemble", "2", "--margin", "0.1", "--center");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("rm done: 60 steps", train.Out);
        Assert.True(File.Exists(P("run/member-1/checkpoint/model.safetensors")));

        var eval = InProcessCli.Run("rm", "eval", "--model", P("run/member-0"), "--data", P("prefs.jsonl"), "--json");
        Assert.True(eval.Code == 0, eval.Err);
        var e = JsonDocument.Parse(eval.Out).RootElement;
        Assert.Equal(60, e.GetProperty("pairs").GetInt32());
        Assert.True(e.GetProperty("accuracy").GetDouble() >= 0.9, eval.Out);
        Assert.Equal(60, e.GetProperty("calibration").EnumerateArray().Sum(b => b.GetProperty("count").GetInt32()));

        var score = InProcessCli.Run("rm", "score", "--model", P("run"), "--data", P("score.jsonl"), "--json");
        Assert.True(score.Code == 0, score.Err);
        var lines = score.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Equal(2, lines[0].GetProperty("scores").GetArrayLength());
        Assert.True(lines[0].GetProperty("score").GetDouble() > lines[1].GetProperty("score").GetDouble(), score.Out);
        var single = InProcessCli.Run("rm", "score", "--model", P("run/member-0/checkpoint"), "--data", P("score.jsonl"));
        Assert.True(single.Code == 0, single.Err);
        Assert.Equal(2, single.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Rm_TrainResume_ContinuesToMoreSteps_AndRefusesAnEmptyDirectory()
    {
        string init = Setup();
        string[] Args(int steps, params string[] more) => ["rm", "train", "--data", P("prefs.jsonl"), "--init", init, "--out", P("run"),
            "--steps", steps.ToString(), "--batch", "8", "--lr", "3e-3", "--warmup", "0", "--eval-fraction", "0.2", .. more];
        var nothing = InProcessCli.Run(Args(6, "--resume"));
        Assert.Equal(1, nothing.Code);
        Assert.Contains("nothing to resume", nothing.Err);
        Assert.False(Directory.Exists(P("run/checkpoint")));

        var first = InProcessCli.Run(Args(6));
        Assert.True(first.Code == 0, first.Err);
        var again = InProcessCli.Run(Args(6));
        Assert.Equal(1, again.Code);
        Assert.Contains("--resume", again.Err);
        var resumed = InProcessCli.Run(Args(6, "--resume"));
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("resuming after step 6", resumed.Out);
        Assert.Contains("rm done: 6 steps", resumed.Out);
        Assert.Equal(7, File.ReadAllLines(P("run/metrics.jsonl")).Length); // step 0 eval + 6 steps, nothing duplicated
    }

    [Theory]
    [InlineData("{\"prompt\": \"p\", \"completions\": [\"a\", \"b\", \"c\"], \"ranking\": [0, 2, 2]}", "twice")]
    [InlineData("{\"prompt\": \"p\", \"completions\": [\"a\"], \"ranking\": [0]}", "at least 2")]
    public void BadPreferences_NameFileAndLine_ExitOne_AndWriteNothing(string badLine, string reason)
    {
        string init = Setup();
        File.WriteAllLines(P("bad.jsonl"), ["{\"prompt\": \"p\", \"completions\": [\"a\", \"b\"], \"ranking\": [1, 0]}", badLine]);
        var (code, _, err) = InProcessCli.Run("rm", "train", "--data", P("bad.jsonl"), "--init", init, "--out", P("run"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains($"{P("bad.jsonl")}:2:", err);
        Assert.Contains(reason, err);
        Assert.False(Directory.Exists(P("run")));
    }

    [Fact]
    public void MalformedReferenceSamples_NameFileAndLine_ExitOne_AndWriteNothing()
    {
        string init = Setup();
        File.WriteAllLines(P("ref.jsonl"), [JsonSerializer.Serialize(new { prompt = "say 1", response = "good dog" }), "{\"prompt\": \"say 2\"}"]);
        var (code, _, err) = InProcessCli.Run("rm", "train", "--data", P("prefs.jsonl"), "--init", init, "--out", P("run"), "--reference", P("ref.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains("ref.jsonl:2", err);
        Assert.False(Directory.Exists(P("run")));
    }
}
