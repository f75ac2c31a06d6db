using System.Text.Json;
using Rlhf.Cli;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf sft</c> in-process on a tiny fresh model.</summary>
public sealed class SftTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-sft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A fresh tiny model with its tokenizer in HF layout, and an SFT JSONL file.</summary>
    private (string Model, string Data) Setup()
    {
        (string Q, string A)[] pairs = [("what did the cat do?", "it sat."), ("where did the dog run?", "in the park."), ("how is the sun?", "warm.")];
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(string.Concat(pairs.Select(p => p.Q + " " + p.A + "\n")), 20)), 300);
        var model = new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4);
        HfCheckpoint.Save(P("base"), model, eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        File.WriteAllLines(P("sft.jsonl"), Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new { prompt = pairs[i % 3].Q, response = pairs[i % 3].A })));
        return (P("base"), P("sft.jsonl"));
    }

    [Fact]
    public void Sft_TrainsResumesAndGeneratesWithTheTemplate()
    {
        var (model, data) = Setup();
        string[] sft = ["sft", "--data", data, "--init", model, "--out", P("run"), "--batch", "4", "--lr", "1e-2", "--warmup", "2", "--eval-interval", "3", "--checkpoint-interval", "3"];
        var first = Run([.. sft, "--steps", "4"]);
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("sft done: 4 steps", first.Out);
        Assert.Contains("kept 22/22", first.Out); // 24 examples, 2 held out
        var more = Run("sft", "--data", data, "--out", P("run"), "--resume", "--steps", "6");
        Assert.True(more.Code == 0, more.Err);
        var entries = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal(Enumerable.Range(0, 7), entries.Select(e => e.Step));
        Assert.All(entries.Skip(1), e => Assert.Equal(0, e.Get("epoch")));

        var gen = Run("generate", "--model", P("run"), "--template", "--prompt", "what did the cat do?", "--max-new-tokens", "6", "--json");
        Assert.True(gen.Code == 0, gen.Err);
        var line = JsonDocument.Parse(gen.Out).RootElement;
        Assert.Equal("what did the cat do?", line.GetProperty("prompt").GetString());
        Assert.DoesNotContain("Assistant", line.GetProperty("completion").GetString());
    }

    [Fact]
    public void Sft_OnATinyRandomLlama_LearnsResumesAndGenerates()
    {
        var (gptModel, data) = Setup();
        var tok = BpeTokenizer.Load(gptModel);
        var llama = new Llama(LlamaPresets.Get("tiny", "llama") with { VocabSize = tok.VocabSize, MaxPositions = 48, HiddenSize = 32, HeadDim = 8, IntermediateSize = 64 }, seed: 4);
        llama.Save(P("llama"), eosTokenId: tok.EndOfTextId);
        tok.Save(P("llama"));
        string[] sft = ["sft", "--data", data, "--init", P("llama"), "--out", P("run"), "--batch", "4", "--lr", "1e-2", "--warmup", "2", "--eval-interval", "4", "--checkpoint-interval", "4"];
        var first = Run([.. sft, "--steps", "8"]);
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("llama, 2 layers, 4 heads (2 K/V)", first.Out);
        var more = Run("sft", "--data", data, "--out", P("run"), "--resume", "--steps", "12");
        Assert.True(more.Code == 0, more.Err);
        var entries = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal(Enumerable.Range(0, 13), entries.Select(e => e.Step));
        var val = entries.Where(e => e.Values.ContainsKey("val_loss")).Select(e => e.Get("val_loss")).ToList();
        Assert.True(val[^1] < val[0] - 0.5, $"held-out loss should fall: {string.Join(", ", val)}");
        // the checkpoint is a Llama in HF layout, and generate takes it
        Assert.Equal("llama", CausalLmCheckpoint.ReadModelType(P("run/checkpoint")));
        var gen = Run("generate", "--model", P("run"), "--template", "--prompt", "what did the cat do?", "--max-new-tokens", "6", "--json");
        Assert.True(gen.Code == 0, gen.Err);
        Assert.Equal("what did the cat do?", JsonDocument.Parse(gen.Out).RootElement.GetProperty("prompt").GetString());
    }

    [Fact]
    public void MalformedJsonl_NamesFileAndLine_AndWritesNothing()
    {
        var (model, _) = Setup();
        File.WriteAllText(P("bad.jsonl"), "{\"prompt\": \"hi\", \"response\": \"hello\"}\n\n{\"prompt\": \"hi\", \"response\": \n");
        var (code, _, error) = Run("sft", "--data", P("bad.jsonl"), "--init", model, "--out", P("run"));
        Assert.Equal(1, code);
        Assert.Contains($"{P("bad.jsonl")}:3:", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(P("run")));
    }

    [Theory]
    [InlineData("--init is required")]
    [InlineData("nothing to resume", "--resume")]
    [InlineData("not a model directory", "--init", "{dir}")]
    [InlineData("--epochs: epochs 0 must be ≥ 1", "--init", "{model}", "--epochs", "0")]
    [InlineData("--val-fraction: validation fraction 1 must be in [0, 1)", "--init", "{model}", "--val-fraction", "1")]
    public void BadInput_FailsWithAMessage(string expected, params string[] extra)
    {
        var (model, data) = Setup();
        var (code, _, error) = Run(["sft", "--data", data, "--out", P("run"), .. extra.Select(a => a.Replace("{dir}", _dir).Replace("{model}", model))]);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
    }
}
