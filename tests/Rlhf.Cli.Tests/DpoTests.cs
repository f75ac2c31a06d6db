using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf dpo</c> and <c>rlhf online</c> in-process on a tiny fresh model.</summary>
public sealed class DpoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-dpo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private string P(string name) => Path.Combine(_dir, name);

    private (string Model, string Data) Setup() => TinyPolicy.Create(_dir);

    [Fact]
    public void Dpo_trains_reports_skipped_pairs_and_resumes()
    {
        var (model, data) = Setup();
        string[] dpo = ["dpo", "--policy", model, "--data", data, "--out", P("run"), "--batch", "4", "--lr", "1e-2", "--warmup", "1", "--seq-len", "40",
            "--eval-interval", "2", "--eval-batches", "1", "--kl-prompts", "2", "--kl-max-new-tokens", "4", "--gold", "lexicon", "--val-fraction", "0.2"];
        var first = Run([.. dpo, "--steps", "3"]);
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("dpo done: 3 steps", first.Out);
        Assert.Contains("1 over 40 tokens (never truncated)", first.Out);
        var more = Run("dpo", "--data", data, "--out", P("run"), "--resume", "--steps", "5");
        Assert.True(more.Code == 0, more.Err);
        var entries = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal(Enumerable.Range(0, 6), entries.Select(e => e.Step));
        Assert.All(entries.Skip(1), e => Assert.NotNull(e.Get("rewards_chosen")));
        Assert.NotNull(entries[0].Get("gold_reward"));
        Assert.True(File.Exists(P("run/reference_logps.json")));
    }

    [Fact]
    public void Bad_preference_lines_name_file_and_line_and_write_nothing()
    {
        var (model, _) = Setup();
        File.WriteAllText(P("same.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"a\"}\n");
        var (code, _, error) = Run("dpo", "--policy", model, "--data", P("same.jsonl"), "--out", P("run"));
        Assert.Equal(1, code);
        Assert.Contains($"{P("same.jsonl")}:2:", error);
        Assert.False(Directory.Exists(P("run")));
        var missing = Run("dpo", "--data", P("same.jsonl"), "--out", P("run"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("--policy is required", missing.Err);
        // the config's own rules (one of them joins two options), reported under the option that sets the field
        File.WriteAllText(P("good.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        var beta = Run("dpo", "--policy", model, "--data", P("good.jsonl"), "--out", P("run"), "--beta", "0");
        Assert.Equal(1, beta.Code);
        Assert.Contains("--beta: beta 0 must be positive", beta.Err);
        var smoothing = Run("dpo", "--policy", model, "--data", P("good.jsonl"), "--out", P("run"), "--loss", "ipo", "--label-smoothing", "0.1");
        Assert.Contains("--label-smoothing: label smoothing applies to the 'sigmoid' loss only", smoothing.Err);
    }

    [Fact]
    public void Online_runs_a_round_with_simulated_labelers_and_logs_gold_reward()
    {
        var (model, _) = Setup();
        File.WriteAllLines(P("prompts.jsonl"), ["{\"prompt\": \"the cat\"}", "{\"prompt\": \"the dog\"}", "{\"prompt\": \"the sun\"}"]);
        var r = Run("online", "--policy", model, "--prompts", P("prompts.jsonl"), "--out", P("online"), "--loop", "1", "--prompts-per-round", "3", "--k", "2",
            "--max-new-tokens", "4", "--batch", "2", "--lr", "1e-2");
        Assert.True(r.Code == 0, r.Err);
        var entries = MetricsReader.Read(P("online/metrics.jsonl"));
        Assert.Equal([0, 1], entries.Select(e => e.Step));
        Assert.All(entries, e => Assert.NotNull(e.Get("gold_reward")));
        var bad = Run("online", "--policy", model, "--prompts", P("prompts.jsonl"), "--out", P("online2"), "--labeler", "humans");
        Assert.Equal(1, bad.Code);
        Assert.Contains("unknown labeler", bad.Err);
        // the online and DPO configs' own rules, reported under the options that set their fields
        var k = Run("online", "--policy", model, "--prompts", P("prompts.jsonl"), "--out", P("online3"), "--k", "1");
        Assert.Equal(1, k.Code);
        Assert.Contains("--k: samples per prompt 1 must be ≥ 2", k.Err);
        Assert.Contains("--beta: beta 0 must be positive", Run("online", "--policy", model, "--prompts", P("prompts.jsonl"), "--out", P("online3"), "--beta", "0").Err);
    }

    [Fact]
    public void Online_with_the_ppo_trainer_refreshes_the_reward_model_on_all_rankings_so_far_and_runs_ppo_each_round()
    {
        var (model, _) = Setup();
        File.WriteAllLines(P("prompts.jsonl"), ["{\"prompt\": \"the cat\"}", "{\"prompt\": \"the dog\"}", "{\"prompt\": \"the sun\"}", "{\"prompt\": \"the bird\"}"]);
        string[] args = ["online", "--policy", model, "--prompts", P("prompts.jsonl"), "--out", P("online"), "--prompts-per-round", "4", "--k", "3",
            "--max-new-tokens", "4", "--trainer", "ppo", "--ppo-iterations", "2", "--ppo-lr", "1e-3", "--rm-steps", "3"];
        var r = Run([.. args, "--loop", "1"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(P("online/round_000/rm/checkpoint/model.safetensors")));
        Assert.True(File.Exists(P("online/round_000/ppo/checkpoint/model.safetensors")));
        var more = Run([.. args, "--loop", "2", "--resume"]);
        Assert.True(more.Code == 0, more.Err);
        var entries = MetricsReader.Read(P("online/metrics.jsonl"));
        Assert.Equal([0, 1, 2], entries.Select(e => e.Step));
        Assert.Equal(4, entries[0].Get("rm_records"));   // round 0: its own 4 rankings
        Assert.Equal(8, entries[1].Get("rm_records"));   // round 1: round 0's + its own
        Assert.Equal(2, entries[1].Get("ppo_iterations"));
        Assert.All(entries, e => Assert.NotNull(e.Get("gold_reward")));
        var changed = Run([.. args, "--loop", "3", "--resume", "--ppo-iterations", "3"]);
        Assert.Equal(1, changed.Code); // the round trainer's settings are part of the run
    }
}
