using System.Text.Json;
using Rlhf.Cli;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf generate</c> in-process on a tiny fresh model.</summary>
public sealed class GenerateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-gen-").FullName;

    public GenerateTests()
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("hello world, the cat sat. ", 20)), 270);
        HfCheckpoint.Save(_dir, new Gpt(new GptConfig(1, 2, 16, 24, tok.VocabSize), seed: 2), eosTokenId: tok.EndOfTextId);
        tok.Save(_dir);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    [Fact]
    public void PromptsFile_OneJsonLinePerPrompt_InOrder_Reproducible()
    {
        string prompts = Path.Combine(_dir, "prompts.jsonl");
        File.WriteAllText(prompts, "{\"prompt\": \"hello\"}\n{\"prompt\": \"the cat\", \"response\": \"ignored\"}\n{\"prompt\": \"world\"}\n");
        string[] args = ["generate", "--model", _dir, "--prompts", prompts, "--max-new-tokens", "5", "--top-k", "20", "--top-p", "0.9", "--batch", "2", "--json"];
        var a = Run(args);
        Assert.True(a.Code == 0, a.Err);
        var lines = a.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["hello", "the cat", "world"], lines.Select(l => l.GetProperty("prompt").GetString()));
        Assert.All(lines, l => Assert.InRange(l.GetProperty("tokens").GetInt32(), 1, 5));
        Assert.Equal(a.Out, Run(args).Out);

        var plain = Run("generate", "--model", _dir, "--prompt", "hello", "--prompt", "world", "--max-new-tokens", "3", "--temperature", "0");
        Assert.True(plain.Code == 0, plain.Err);
        Assert.Equal(2, plain.Out.Split('\n').Count(l => l == "---") + 1);
    }

    [Fact]
    public void LlamaFamilyDirectory_Generates_Reproducibly()
    {
        // a tiny random Qwen2 (GQA, q/k/v bias) with this test's tokenizer: the model is chosen by config.json's model_type
        string dir = Path.Combine(_dir, "qwen2");
        var tok = BpeTokenizer.Load(_dir);
        var config = LlamaPresets.Get("tiny", "qwen2") with { VocabSize = tok.VocabSize, MaxPositions = 24 };
        new Llama(config, seed: 4).Save(dir, eosTokenId: tok.EndOfTextId);
        tok.Save(dir);
        string[] args = ["generate", "--model", dir, "--prompt", "hello", "--prompt", "the cat sat", "--max-new-tokens", "6", "--json"];
        var a = InProcessCli.Run(args);
        Assert.True(a.Code == 0, a.Err);
        var lines = a.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["hello", "the cat sat"], lines.Select(l => l.GetProperty("prompt").GetString()));
        Assert.All(lines, l => Assert.InRange(l.GetProperty("tokens").GetInt32(), 1, 6));
        Assert.Equal(a.Out, InProcessCli.Run(args).Out);
        var tooLong = InProcessCli.Run("generate", "--model", dir, "--prompt", "hello", "--max-new-tokens", "30");
        Assert.Equal(1, tooLong.Code);
        Assert.Contains("model context of 24 tokens", tooLong.Err);
    }

    [Fact]
    public void CheckpointWithMissingTensors_NamesThem_ExitCode1()
    {
        string weights = Path.Combine(_dir, HfCheckpoint.WeightsFile);
        var kept = Safetensors.Load(weights).Tensors.Where(kv => !kv.Key.Contains("ln_f")).ToDictionary(kv => kv.Key, kv => kv.Value);
        Safetensors.Save(weights, kept);
        var (code, _, error) = Run("generate", "--model", _dir, "--prompt", "hi");
        Assert.Equal(1, code);
        Assert.Contains("missing tensor 'ln_f.weight'", error);
        Assert.Contains("missing tensor 'ln_f.bias'", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [InlineData("nothing to generate from")]
    [InlineData("exceeds the model context", "--prompt", "hello", "--max-new-tokens", "64")]
    [InlineData("--top-p must be in (0, 1]", "--prompt", "hello", "--top-p", "0")]
    [InlineData("no such file", "--prompts", "/nonexistent/p.jsonl")]
    public void BadInput_FailsWithAMessage(string expected, params string[] extra)
    {
        var (code, _, error) = Run(["generate", "--model", _dir, .. extra]);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void MissingModelDirectory_FailsClearly()
    {
        var (code, _, error) = Run("generate", "--model", Path.Combine(_dir, "nope"), "--prompt", "x");
        Assert.Equal(1, code);
        Assert.Contains("no such model directory", error);
    }
}
