using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Tests;

/// <summary>Bring your own reward end to end: <c>rlhf ppo --reward http://127.0.0.1:port/score</c> and <c>--reward cmd:…</c>, healthy, timing out and answering garbage.</summary>
public sealed class ExternalRewardCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-extreward-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static readonly string Text = string.Concat(Enumerable.Repeat("the movie was great and fun.\nthe food was bad and cold.\nwhat a lovely day.\n", 20));

    private (string Policy, string Prompts) Setup()
    {
        var tok = BpeTrainer.Train(Text, 290);
        HfCheckpoint.Save(P("policy"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        File.WriteAllLines(P("prompts.jsonl"), new[] { "how was the movie?", "how was the food?" }.Select(p => JsonSerializer.Serialize(new { prompt = p })));
        return (P("policy"), P("prompts.jsonl"));
    }

    private string[] Ppo(string reward, string run, int iterations, params string[] more)
    {
        var (policy, prompts) = Setup();
        return ["ppo", "--policy", policy, "--reward", reward, "--prompts", prompts, "--out", P(run), "--batch", "2", "--minibatch", "2",
            "--epochs", "1", "--max-new-tokens", "4", "--iterations", iterations.ToString(), "--no-guard", .. more];
    }

    [Fact]
    public void Http_reward_trains_and_logs_its_scores()
    {
        using var server = new LoopbackScoreServer();
        var (code, output, err) = InProcessCli.Run(Ppo(server.Url, "http", 2, "--gold", server.Url));
        Assert.True(code == 0, err);
        Assert.Contains($"reward {server.Url}", output);
        var m = MetricsReader.Read(P("http/metrics.jsonl"));
        Assert.Equal(2, m.Count);
        Assert.All(m, e => Assert.True(e.Get("proxy_reward") is double r && double.IsFinite(r) && r >= 0));
        Assert.All(m, e => Assert.Equal(e.Get("proxy_reward")!.Value, e.Get("gold_reward")!.Value, 5)); // same server as gold
        Assert.All(m, e => Assert.Equal(0, e.Get("skipped_samples")));
        Assert.True(server.Requests >= 2);
    }

    [Fact]
    public void Http_server_timing_out_skips_batches_then_fails_the_run_clearly()
    {
        using var server = new LoopbackScoreServer(_ => (200, "[0, 0]", TimeSpan.FromSeconds(30)));
        var (code, _, err) = InProcessCli.Run(Ppo(server.Url, "slow", 5, "--reward-timeout", "3", "--reward-retries", "1"));
        Assert.Equal(1, code);
        Assert.Contains("every sample of 3 iterations in a row", err);
        Assert.Contains("no reply within 3 s", err);
        Assert.DoesNotContain("   at ", err);
        // 3 iterations × (1 try + 1 retry). The timeout is generous (3 s against a server that answers after 30 s) so that
        // on a busy box every attempt reaches the server before the client gives up; the server may count the last one a
        // little after the run ends: wait for it (bounded), then require exactly that many
        SpinWait.SpinUntil(() => server.Requests >= 2 * 3, TimeSpan.FromSeconds(30));
        Assert.Equal(2 * 3, server.Requests);
        Assert.All(MetricsReader.Read(P("slow/metrics.jsonl")), e => Assert.Equal(2, e.Get("skipped_samples"))); // nothing scored 0
    }

    [Fact]
    public void Http_server_answering_garbage_or_errors_is_never_scored()
    {
        int calls = 0;
        using var server = new LoopbackScoreServer(body => Interlocked.Increment(ref calls) switch
        {
            1 => (200, "<html>busy</html>", TimeSpan.Zero),   // garbage, retried
            2 => (503, "overloaded", TimeSpan.Zero),           // HTTP error, retried
            _ => (200, LoopbackScoreServer.LengthScores(body), TimeSpan.Zero),
        });
        var (code, _, err) = InProcessCli.Run(Ppo(server.Url, "flaky", 1, "--reward-retries", "2"));
        Assert.True(code == 0, err);
        var m = MetricsReader.Read(P("flaky/metrics.jsonl"));
        Assert.Equal(0, m[0].Get("skipped_samples"));
        Assert.Equal(3, server.Requests);

        using var garbage = new LoopbackScoreServer(_ => (200, "[1]", TimeSpan.Zero)); // one score for two samples
        var bad = InProcessCli.Run(Ppo(garbage.Url, "garbage", 3, "--reward-retries", "0"));
        Assert.Equal(1, bad.Code);
        Assert.Contains("expected 2 scores, got 1", bad.Err);
    }

    [Fact]
    public void Cmd_reward_runs_the_example_program()
    {
        string example = Path.Combine(RepoRoot(), "examples", "external-reward", "score_cmd.py");
        var (code, output, err) = InProcessCli.Run(Ppo($"cmd:/usr/bin/python3 {example}", "cmd", 2));
        Assert.True(code == 0, err);
        Assert.Contains("reward cmd:/usr/bin/python3", output);
        Assert.All(MetricsReader.Read(P("cmd/metrics.jsonl")), e => Assert.True(e.Get("proxy_reward") is double r && r >= -1 && r <= 1));
    }

    [Fact]
    public void Cmd_reward_answering_garbage_fails_the_run_clearly()
    {
        string script = P("garbage.sh");
        File.WriteAllText(script, "while read l; do echo 'not json'; done\n");
        var (code, _, err) = InProcessCli.Run(Ppo($"cmd:/bin/sh {script}", "cmdbad", 4, "--reward-retries", "0"));
        Assert.Equal(1, code);
        Assert.Contains("the reply is not JSON", err);
    }

    [Fact]
    public void External_reward_cannot_join_an_ensemble_without_weights()
    {
        var (code, _, err) = InProcessCli.Run(Ppo("http://127.0.0.1:9/score", "mix", 1, "--reward-model", P("policy")));
        Assert.Equal(1, code);
        Assert.Contains("--reward-weight", err);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rlhf.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (Rlhf.slnx) not found above " + AppContext.BaseDirectory);
    }
}
