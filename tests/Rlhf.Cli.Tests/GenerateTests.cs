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
    public void Json_ReportsEachTokensLogProb()
    {
        var (code, output, error) = Run("generate", "--model", _dir, "--prompt", "hello", "--max-new-tokens", "4", "--json");
        Assert.True(code == 0, error);
        var line = JsonDocument.Parse(output).RootElement;
        int[] ids = line.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] logprobs = line.GetProperty("logprobs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(line.GetProperty("tokens").GetInt32(), ids.Length);
        Assert.Equal(ids.Length, logprobs.Length);
        Assert.All(logprobs, lp => Assert.InRange(lp, double.NegativeInfinity, 0));
        Assert.Equal(logprobs.Average(), line.GetProperty("mean_logprob").GetDouble(), 5);
    }

    [Fact]
    public void ChatTemplate_RendersThePromptAsAUserTurn_AndStopsAtEndOfTurn()
    {
        // a ChatML-capable tokenizer and a model with a 64-token context
        string dir = Path.Combine(_dir, "chatml");
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("hello world, the cat sat. ", 20)), 272, ["<|im_start|>", "<|im_end|>"]);
        HfCheckpoint.Save(dir, new Gpt(new GptConfig(1, 2, 16, 64, tok.VocabSize), seed: 2), eosTokenId: tok.EndOfTextId);
        tok.Save(dir);
        var format = ChatFormat.For(tok, "chatml");
        int promptTokens = format.EncodePrompt([new ChatMessage("user", "hello")]).Length;
        Assert.True(promptTokens > tok.Encode("hello").Length + 4);

        // the prompt length in the context error is the ChatML rendering's
        var tooLong = Run("generate", "--model", dir, "--prompt", "hello", "--chat-template", "chatml", "--max-new-tokens", $"{65 - promptTokens}");
        Assert.Equal(1, tooLong.Code);
        Assert.Contains($"is {promptTokens} tokens", tooLong.Err);

        var (code, output, error) = Run("generate", "--model", dir, "--prompt", "hello", "--chat-template", "chatml", "--max-new-tokens", "8", "--json");
        Assert.True(code == 0, error);
        var line = JsonDocument.Parse(output).RootElement;
        int[] ids = line.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int end = Array.IndexOf(ids, format.EndOfTurnId);
        Assert.True(end < 0 || end == ids.Length - 1, "generation goes on after the end-of-turn token");
        Assert.Equal(end >= 0, line.GetProperty("finished").GetBoolean());
        Assert.Equal(format.DecodeResponse(ids), line.GetProperty("completion").GetString());

        // a format the tokenizer cannot render is refused naming the missing token; auto without a chat_template is the
        // plain User:/Assistant: format, as --template
        var noTokens = Run("generate", "--model", _dir, "--prompt", "hello", "--chat-template", "llama3");
        Assert.Equal(1, noTokens.Code);
        Assert.Contains("<|eot_id|>", noTokens.Err);
        string[] plain = ["generate", "--model", dir, "--prompt", "hello", "--max-new-tokens", "4", "--json"];
        var auto = Run([.. plain, "--chat-template", "auto"]);
        Assert.True(auto.Code == 0, auto.Err);
        Assert.Equal(Run([.. plain, "--template"]).Out, auto.Out);
        Assert.Equal(Run([.. plain, "--chat-template", "none"]).Out, auto.Out);
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
