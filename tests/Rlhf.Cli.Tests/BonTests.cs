using System.CommandLine;
using System.Text.Json;
using Rlhf.Cli.Commands;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Guard;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf bon</c> in-process on a tiny fresh policy and two tiny fresh reward models; the guard's CLI options on a dummy verb.</summary>
public sealed class BonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-bon-").FullName;

    public BonTests()
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("User: say something nice\nAssistant: good great happy sun. ", 20)), 270);
        HfCheckpoint.Save(P("policy"), new Gpt(new GptConfig(1, 2, 16, 48, tok.VocabSize), seed: 2), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        for (int m = 0; m < 2; m++)
        {
            new RewardModel(new Gpt(new GptConfig(1, 2, 16, 48, tok.VocabSize), seed: (ulong)(10 + m)), seed: (ulong)(20 + m)).Save(P($"rm{m}"), tok.EndOfTextId);
            tok.Save(P($"rm{m}"));
        }
        File.WriteAllLines(P("prompts.jsonl"), ["{\"prompt\": \"say something\"}", "{\"prompt\": \"be nice\"}", "{\"prompt\": \"hello\"}"]);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string[] Args(params string[] extra) =>
        ["bon", "--policy", P("policy"), "--reward-model", P("rm0"), "--prompts", P("prompts.jsonl"), .. extra.Contains("--max-new-tokens") ? extra : [.. extra, "--max-new-tokens", "6"]];

    [Fact]
    public void Bon_writes_best_responses_sft_data_and_the_curve_reproducibly()
    {
        var run = InProcessCli.Run(Args("--n", "8", "--out", P("out"), "--gold", "lexicon", "--curve", "--write-sft", P("sft.jsonl"), "--json", "--seed", "3"));
        Assert.True(run.Code == 0, run.Err);
        var s = JsonDocument.Parse(run.Out).RootElement;
        Assert.Equal(3, s.GetProperty("prompts").GetInt32());
        Assert.Equal(Math.Log(8) - 7.0 / 8, s.GetProperty("kl_bon").GetDouble(), 12);
        Assert.True(s.GetProperty("proxy_best").GetDouble() >= s.GetProperty("proxy_all").GetDouble());
        Assert.Equal(3, s.GetProperty("sft_written").GetInt32() + s.GetProperty("sft_skipped").GetInt32());

        var best = File.ReadAllLines(P("out/best.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["say something", "be nice", "hello"], best.Select(b => b.GetProperty("prompt").GetString()));
        Assert.All(best, b => Assert.True(b.GetProperty("proxy_reward").GetDouble() >= b.GetProperty("mean_proxy").GetDouble()));
        Assert.All(best, b => Assert.Equal(JsonValueKind.Number, b.GetProperty("gold_reward").ValueKind));
        Assert.All(best, b => Assert.Equal(JsonValueKind.Null, b.GetProperty("ensemble_std").ValueKind));
        Assert.Equal(s.GetProperty("sft_written").GetInt32(), File.ReadAllLines(P("sft.jsonl")).Length);

        var curve = JsonDocument.Parse(File.ReadAllText(P("out/curve.json"))).RootElement;
        var points = curve.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 4, 8], points.Select(p => p.GetProperty("n").GetInt32()));
        Assert.Equal(s.GetProperty("proxy_all").GetDouble(), points[0].GetProperty("proxy").GetDouble(), 6);
        Assert.Equal(s.GetProperty("proxy_best").GetDouble(), points[^1].GetProperty("proxy").GetDouble(), 6);
        Assert.Equal(s.GetProperty("gold_all").GetDouble(), points[0].GetProperty("gold").GetDouble(), 6);
        Assert.True(curve.GetProperty("gold_fit").TryGetProperty("alpha", out _));
        Assert.StartsWith("<svg", File.ReadAllText(P("out/curve.svg")));

        string first = File.ReadAllText(P("out/best.jsonl"));
        var again = InProcessCli.Run(Args("--n", "8", "--out", P("out2"), "--seed", "3"));
        Assert.True(again.Code == 0, again.Err);
        Assert.Contains("KL_bon = log N − (N−1)/N = 1.2044 nats", again.Out);
        var firstResponses = first.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("response").GetString());
        var againResponses = File.ReadAllLines(P("out2/best.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("response").GetString());
        Assert.Equal(firstResponses, againResponses);
    }

    [Fact]
    public void Two_reward_models_form_an_ensemble_with_a_spread_and_a_gold_rm_is_reported()
    {
        var run = InProcessCli.Run(Args("--reward-model", P("rm1"), "--n", "2", "--out", P("out"), "--gold", "rm:" + P("rm1")));
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("+", run.Out.Split('\n').First(l => l.StartsWith("proxy")));
        Assert.Contains($"gold (rm:{P("rm1")}): best", run.Out);
        var best = File.ReadAllLines(P("out/best.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.All(best, b => Assert.True(b.GetProperty("ensemble_std").GetDouble() >= 0));
    }

    [Theory]
    [InlineData("--n must be at least 1", "--n", "0")]
    [InlineData("--gold must be 'lexicon', 'rm:<reward model directory>', an http(s):// scoring URL or 'cmd:<program>'", "--gold", "oracle")]
    [InlineData("exceeds the policy's context", "--max-new-tokens", "60")]
    public void Bad_settings_fail_with_a_clear_message(string expected, params string[] extra)
    {
        var (code, _, err) = InProcessCli.Run(Args(["--out", P("out"), .. extra]));
        Assert.NotEqual(0, code);
        Assert.Contains(expected, err);
        Assert.False(File.Exists(P("out/best.jsonl")));
    }

    [Fact]
    public void Bad_prompts_line_is_named()
    {
        File.WriteAllLines(P("prompts.jsonl"), ["{\"prompt\": \"ok\"}", "{\"prompt\": \"\"}"]);
        var (code, _, err) = InProcessCli.Run(Args("--out", P("out")));
        Assert.Equal(1, code);
        Assert.Contains($"{P("prompts.jsonl")}:2:", err);
        Assert.Contains("'prompt' must be non-empty", err);
        Assert.False(Directory.Exists(P("out")));
    }

    [Fact]
    public void Guard_options_build_the_guard_from_a_command_line()
    {
        var command = new Command("dummy");
        var options = GuardOptions.AddTo(command);
        var defaults = options.Config(command.Parse([]))!;
        Assert.Equal(new GuardConfig(), defaults);
        var custom = options.Config(command.Parse(["--guard-gold-drop", "0.2", "--guard-gold-drop-fraction", "0", "--guard-patience", "5",
            "--guard-kl-budget", "12", "--guard-max-ensemble-std-ratio", "3", "--guard-min-length-ratio", "0", "--guard-max-length-ratio", "0",
            "--guard-max-repetition", "0.4", "--guard-heldout-drop", "0"]))!;
        Assert.Equal(new GuardConfig(GoldDrop: 0.2, GoldDropFraction: null, HeldOutDrop: null, KlBudget: 12, MaxEnsembleStdRatio: 3,
            MinLengthRatio: null, MaxLengthRatio: null, MaxRepetition: 0.4, Patience: 5), custom);
        var guard = Assert.IsType<RewardHackingGuard>(options.Build(command.Parse(["--guard-kl-budget", "12"])));
        Assert.Contains(guard.Monitors, m => m.Name == "kl_budget");
        Assert.IsType<ObservingGuard>(options.Build(command.Parse(["--guard-observe"]))); // watch only: never stops the run
        Assert.Null(options.Build(command.Parse(["--no-guard"])));
        var bad = command.Parse(["--guard-max-ensemble-std-ratio", "0.5"]);
        Assert.Contains(bad.Errors, e => e.Message.Contains("--guard-max-ensemble-std-ratio must be 0 (off) or > 1"));
    }
}
