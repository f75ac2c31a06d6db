using System.Text.Json;
using Rlhf.Cli;
using Rlhf.Models.Checkpoints;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf pretrain</c> end to end in-process: tokenizer train → pretrain → resume → generate, and its errors.</summary>
public sealed class PretrainTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-pretrain-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private string P(string name) => Path.Combine(_dir, name);

    private string Corpus()
    {
        string[] lines = ["the cat sat on the mat.", "a dog ran in the park.", "the sun is warm today.", "birds sing in the tree."];
        File.WriteAllText(P("corpus.txt"), string.Join("\n", Enumerable.Range(0, 200).Select(i => lines[i % 4])));
        return P("corpus.txt");
    }

    [Fact]
    public void TokenizerTrain_Pretrain_Resume_Generate_EndToEnd()
    {
        string corpus = Corpus();
        var tok = Run("tokenizer", "train", "--data", corpus, "--vocab-size", "300", "--out", P("tok"));
        Assert.True(tok.Code == 0, tok.Err);

        string[] train = ["pretrain", "--data", corpus, "--tokenizer", P("tok"), "--out", P("run"), "--config", "tiny", "--batch", "4",
            "--lr", "1e-2", "--warmup", "2", "--eval-interval", "4", "--eval-batches", "2", "--checkpoint-interval", "4"];
        var pre = Run([.. train, "--steps", "8"]);
        Assert.True(pre.Code == 0, pre.Err);
        Assert.Contains("pretrain done: 8 steps", pre.Out);
        Assert.Contains("unigram entropy", pre.Out);
        Assert.True(File.Exists(P("run/corpus.tokens")));
        var entries = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal(Enumerable.Range(0, 9), entries.Select(e => e.Step));
        Assert.Equal(["loss", "lr", "grad_norm", "tokens_per_s", "val_loss"], entries[8].Values.Keys);

        // resume for more steps: continues at step 9, keeps 0..8
        var more = Run("pretrain", "--data", corpus, "--out", P("run"), "--resume", "--steps", "10");
        Assert.True(more.Code == 0, more.Err);
        Assert.Contains("resuming after step 8", more.Out);
        Assert.Equal(Enumerable.Range(0, 11), MetricsReader.Read(P("run/metrics.jsonl")).Select(e => e.Step));
        Assert.Equal(entries[8].Values["loss"], MetricsReader.Read(P("run/metrics.jsonl"))[8].Values["loss"]);

        // a fresh run into the same directory is refused and leaves it alone
        string metrics = File.ReadAllText(P("run/metrics.jsonl"));
        var again = Run([.. train, "--steps", "8"]);
        Assert.Equal(1, again.Code);
        Assert.Contains("--resume", again.Err);
        Assert.Equal(metrics, File.ReadAllText(P("run/metrics.jsonl")));

        // generate from the run directory: text, and JSON with the same seed gives the same completion
        var text = Run("generate", "--model", P("run"), "--prompt", "the cat", "--max-new-tokens", "8", "--seed", "3");
        Assert.True(text.Code == 0, text.Err);
        var json = Run("generate", "--model", P("run/checkpoint"), "--prompt", "the cat", "--max-new-tokens", "8", "--seed", "3", "--json");
        Assert.True(json.Code == 0, json.Err);
        var lines = json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Single(lines);
        Assert.Equal("the cat", lines[0].GetProperty("prompt").GetString());
        Assert.Equal(text.Out.TrimEnd('\n', '\r'), lines[0].GetProperty("completion").GetString());
        int tokens = lines[0].GetProperty("tokens").GetInt32();
        Assert.InRange(tokens, 1, 8);
        Assert.True(lines[0].GetProperty("mean_logprob").GetDouble() < 0);
        Assert.True(lines[0].GetProperty("finished").GetBoolean() || tokens == 8);
        var unconditional = Run("generate", "--model", P("run"), "--prompt", "", "--max-new-tokens", "4", "--json"); // starts from <|endoftext|>
        Assert.True(unconditional.Code == 0, unconditional.Err);
        Assert.Equal("", JsonDocument.Parse(unconditional.Out).RootElement.GetProperty("prompt").GetString());
    }

    [Fact]
    public void Resume_WithoutCheckpoint_FailsClearly()
    {
        var (code, output, error) = Run("pretrain", "--data", Corpus(), "--out", P("nothing"), "--resume");
        Assert.Equal(1, code);
        Assert.Contains("nothing to resume", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(P("nothing")));
    }

    [Theory]
    [InlineData("--tokenizer is required")]
    [InlineData("not divisible", "--tokenizer", "{tok}", "--heads", "3")]
    [InlineData("no such file or directory", "--tokenizer", "{dir}/missing")]
    [InlineData("--batch: batch size 0 must be ≥ 1", "--tokenizer", "{tok}", "--batch", "0")]
    [InlineData("--lr: learning rate -1 must be positive", "--tokenizer", "{tok}", "--lr", "-1")]
    [InlineData("validation split", "--tokenizer", "{tok}", "--val-fraction", "0.0001")]
    public void BadInput_FailsWithAMessageAndExitCode1(string expected, params string[] extra)
    {
        string corpus = Corpus();
        Assert.Equal(0, Run("tokenizer", "train", "--data", corpus, "--vocab-size", "260", "--out", P("tok")).Code);
        var (code, _, error) = Run(["pretrain", "--data", corpus, "--out", P("bad"), "--config", "tiny", "--steps", "2",
            .. extra.Select(a => a.Replace("{tok}", P("tok")).Replace("{dir}", _dir))]);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(P("bad/checkpoint")));
    }

    [Fact]
    public void Init_FromACheckpointWithMissingTensors_NamesThem()
    {
        string corpus = Corpus();
        Assert.Equal(0, Run("tokenizer", "train", "--data", corpus, "--vocab-size", "260", "--out", P("tok")).Code);
        Assert.Equal(0, Run("pretrain", "--data", corpus, "--tokenizer", P("tok"), "--out", P("a"), "--config", "tiny", "--steps", "1", "--eval-batches", "0").Code);
        string weights = P("a/checkpoint/" + HfCheckpoint.WeightsFile);
        var file = Rlhf.Tensors.Serialization.Safetensors.Load(weights);
        var kept = file.Tensors.Where(kv => kv.Key != "transformer.h.1.mlp.c_fc.weight").ToDictionary(kv => kv.Key, kv => kv.Value);
        Rlhf.Tensors.Serialization.Safetensors.Save(weights, kept);
        var (code, _, error) = Run("pretrain", "--data", corpus, "--tokenizer", P("tok"), "--out", P("b"), "--init", P("a"), "--steps", "1");
        Assert.Equal(1, code);
        Assert.Contains("missing tensor 'h.1.mlp.c_fc.weight'", error);
    }
}
