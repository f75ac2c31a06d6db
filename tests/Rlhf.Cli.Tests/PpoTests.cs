using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf ppo</c> in-process on tiny fresh models.</summary>
public sealed class PpoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-ppo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private string P(string name) => Path.Combine(_dir, name);

    private static readonly string Text = string.Concat(Enumerable.Repeat("the movie was great and fun.\nthe food was bad and cold.\nwhat a lovely day.\n", 20));

    /// <summary>A tiny policy, a reward model (same or another tokenizer) and a prompts file.</summary>
    private (string Policy, string Rm, string Prompts) Setup(bool otherRmTokenizer = false)
    {
        var tok = BpeTrainer.Train(Text, 290);
        HfCheckpoint.Save(P("policy"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        var rmTok = otherRmTokenizer ? BpeTrainer.Train(Text, 275) : tok;
        new RewardModel(new Gpt(new GptConfig(2, 2, 16, 64, rmTok.VocabSize), seed: 9)).Save(P("rm"), rmTok.EndOfTextId);
        rmTok.Save(P("rm"));
        File.WriteAllLines(P("prompts.jsonl"), new[] { "how was the movie?", "how was the food?", "tell me about the day." }.Select(p => JsonSerializer.Serialize(new { prompt = p })));
        return (P("policy"), P("rm"), P("prompts.jsonl"));
    }

    [Fact]
    public void Ppo_TrainsLogsAndResumes()
    {
        var (policy, rm, prompts) = Setup();
        string[] ppo = ["ppo", "--policy", policy, "--reward-model", rm, "--prompts", prompts, "--out", P("run"), "--batch", "4", "--minibatch", "2",
            "--epochs", "1", "--max-new-tokens", "5", "--gold", "lexicon", "--heldout-rm", rm, "--sample-every", "1", "--checkpoint-interval", "1"];
        var first = Run([.. ppo, "--iterations", "2"]);
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("ppo done: 2 iterations", first.Out);
        Assert.DoesNotContain("tokenizer differs", first.Out);
        var more = Run("ppo", "--out", P("run"), "--resume", "--iterations", "3", "--json");
        Assert.True(more.Code == 0, more.Err);
        Assert.Contains("resuming after iteration 2", more.Out);
        Assert.Contains("\"iterations\":3", more.Out);
        var entries = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal([1, 2, 3], entries.Select(e => e.Step));
        foreach (string key in new[] { "proxy_reward", "kl", "kl_k3", "entropy", "clip_frac", "value_loss", "approx_kl", "response_length", "repetition_rate", "gold_reward", "heldout_reward", "time_generate_s" })
            Assert.True(entries[^1].Get(key) is double v && double.IsFinite(v), key);
        Assert.Equal(3 * 4, File.ReadAllLines(P("run/samples.jsonl")).Length);
        Assert.True(File.Exists(P("run/checkpoint/critic/model.safetensors")));

        var gen = Run("generate", "--model", P("run"), "--template", "--prompt", "how was the movie?", "--max-new-tokens", "3");
        Assert.True(gen.Code == 0, gen.Err);
        var changed = Run("ppo", "--out", P("run"), "--resume", "--iterations", "4", "--lr", "0.1");
        Assert.Equal(1, changed.Code);
        Assert.Contains("cannot resume exactly", changed.Err);
    }

    [Fact]
    public void ARewardModelWithAnotherTokenizer_GetsANotice()
    {
        var (policy, rm, prompts) = Setup(otherRmTokenizer: true);
        var (code, output, error) = Run("ppo", "--policy", policy, "--reward-model", rm, rm, "--reward-weight", "1", "0.5", "--prompts", prompts, "--out", P("run"),
            "--batch", "2", "--minibatch", "2", "--epochs", "1", "--max-new-tokens", "3", "--iterations", "1", "--shared-critic");
        Assert.True(code == 0, error);
        Assert.Single(output.Split('\n'), l => l.Contains("tokenizer differs from the policy's"));
        Assert.Contains("reward 1*rm:", output);   // two reward models combined with weights
        var wrong = Run("ppo", "--policy", policy, "--reward-model", rm, "--reward-weight", "1", "2", "--prompts", prompts, "--out", P("run2"));
        Assert.Equal(1, wrong.Code);
        Assert.Contains("2 weights for 1 --reward-model", wrong.Err);
    }

    [Fact]
    public void BadPromptsLine_IsNamed_AndNothingIsWritten()
    {
        var (policy, rm, _) = Setup();
        File.WriteAllText(P("bad.jsonl"), "{\"prompt\": \"hi\"}\n{\"prompt\": \"\"}\n");
        var (code, _, error) = Run("ppo", "--policy", policy, "--reward-model", rm, "--prompts", P("bad.jsonl"), "--out", P("run"));
        Assert.Equal(1, code);
        Assert.Contains($"{P("bad.jsonl")}:2:", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(P("run")));
    }

    [Theory]
    [InlineData("--policy is required")]
    [InlineData("nothing to resume", "--resume")]
    [InlineData("--minibatch: minibatch 8 must be in [1, batch 4]", "--policy", "{dir}", "--minibatch", "8", "--batch", "4")]
    [InlineData("--kl-coef: KL coefficient β -1 must be ≥ 0", "--policy", "{dir}", "--kl-coef", "-1")]
    [InlineData("--gold: ", "--policy", "{policy}", "--reward-model", "{rm}", "--prompts", "{prompts}", "--gold", "oracle")]
    public void BadArguments_FailWithAMessage(string expected, params string[] extra)
    {
        var (policy, rm, prompts) = Setup();
        var (code, _, error) = Run(["ppo", "--out", P("run"), .. extra.Select(a => a.Replace("{dir}", _dir).Replace("{policy}", policy).Replace("{rm}", rm).Replace("{prompts}", prompts))]);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
    }
}
