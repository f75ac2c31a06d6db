using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf tasks generate</c> and <c>rlhf grpo</c> in-process on a tiny fresh model.</summary>
public sealed class GrpoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-grpo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>Tasks files and a fresh tiny model whose tokenizer keeps digits apart.</summary>
    private string Setup()
    {
        var gen = Run("tasks", "generate", "--kind", "addition", "--digits", "1", "--count", "12", "--heldout-count", "4", "--out", P("train.jsonl"), "--heldout", P("held.jsonl"));
        Assert.True(gen.Code == 0, gen.Err);
        var tok = BpeTrainer.Train("User: What is  + ?\nAssistant:  +  = . #### \n", 280);
        var model = new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4);
        HfCheckpoint.Save(P("base"), model, eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        return P("base");
    }

    private string[] Grpo(string policy, string outDir, params string[] extra) =>
        ["grpo", "--policy", policy, "--prompts", P("train.jsonl"), "--eval-prompts", P("held.jsonl"), "--group", "2", "--batch", "2",
         "--max-new-tokens", "4", "--lr", "1e-3", "--eval-interval", "2", "--out", outDir, .. extra];

    [Fact]
    public void Tasks_generate_writes_a_disjoint_verified_split_in_each_format()
    {
        var r = Run("tasks", "generate", "--kind", "word", "--digits", "2-3", "--count", "30", "--heldout-count", "10", "--seed", "4",
            "--out", P("w/train.jsonl"), "--heldout", P("w/held.jsonl"));
        Assert.True(r.Code == 0, r.Err);
        var train = File.ReadAllLines(P("w/train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var held = File.ReadAllLines(P("w/held.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal((30, 10), (train.Count, held.Count));
        Assert.Empty(train.Select(e => e.GetProperty("prompt").GetString()).Intersect(held.Select(e => e.GetProperty("prompt").GetString())));
        Assert.All(train, e => Assert.True(long.TryParse(e.GetProperty("answer").GetString(), out _)));

        Assert.Equal(0, Run("tasks", "generate", "--digits", "2", "--count", "3", "--format", "sft", "--out", P("s.jsonl")).Code);
        Assert.Contains("####", JsonDocument.Parse(File.ReadLines(P("s.jsonl")).First()).RootElement.GetProperty("response").GetString());
        Assert.Equal(0, Run("tasks", "generate", "--digits", "2", "--count", "3", "--format", "text", "--out", P("t.txt")).Code);
        Assert.Matches(@"^\d+ \+ \d+ = \d+$", File.ReadLines(P("t.txt")).First());
        Assert.Equal(0, Run("tasks", "generate", "--digits", "2", "--count", "3", "--format", "chat", "--out", P("c.txt")).Code);
        Assert.Matches(@"^User: What is (\d+) \+ (\d+)\?\nAssistant: \1 \+ \2 = \d+\n\nUser: ", File.ReadAllText(P("c.txt")));

        Assert.Equal(0, Run("tasks", "generate", "--digits", "2", "--count", "3", "--format", "chat", "--worked", "--out", P("cw.txt")).Code);
        Assert.Matches(@"^User: What is \d+ \+ \d+\?\nAssistant: \d\+\d=\d+(, carry 1)?: \d\. .*: \d+\.\n\nUser: ", File.ReadAllText(P("cw.txt")));
        Assert.DoesNotContain("####", File.ReadAllText(P("cw.txt")));
        Assert.Equal(0, Run("tasks", "generate", "--digits", "2", "--count", "3", "--format", "sft", "--worked", "--out", P("sw.jsonl")).Code);
        Assert.Matches(@": (\d+)\. #### \1$", JsonDocument.Parse(File.ReadLines(P("sw.jsonl")).First()).RootElement.GetProperty("response").GetString()!);
        Assert.Equal(0, Run("tasks", "generate", "--digits", "2", "--count", "3", "--format", "digitless", "--worked", "--out", P("d.txt")).Code);
        string digitless = File.ReadAllText(P("d.txt"));
        Assert.Contains("####", digitless);
        Assert.Contains("carry", digitless);
        Assert.DoesNotMatch(@"\d", digitless);
        var workedMinus = Run("tasks", "generate", "--kind", "subtraction", "--worked", "--format", "sft", "--out", P("x.jsonl"));
        Assert.Equal(1, workedMinus.Code);
        Assert.Contains("--worked", workedMinus.Err);

        var bad = Run("tasks", "generate", "--digits", "3-2", "--out", P("x.jsonl"));
        Assert.Equal(1, bad.Code);
        Assert.Contains("--digits '3-2'", bad.Err);
        var tooMany = Run("tasks", "generate", "--digits", "1", "--count", "500", "--out", P("x.jsonl"));
        Assert.Equal(1, tooMany.Code);
        Assert.Contains("distinct", tooMany.Err);
    }

    [Fact]
    public void Grpo_trains_logs_rl_metrics_and_resumes()
    {
        string policy = Setup();
        var first = Run(Grpo(policy, P("run"), "--iterations", "2", "--beta", "0.05", "--advantage", "rloo"));
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("grpo done: 2 iterations", first.Out);
        Assert.Contains("held-out accuracy", first.Out);
        var more = Run("grpo", "--prompts", P("train.jsonl"), "--eval-prompts", P("held.jsonl"), "--out", P("run"), "--resume", "--iterations", "3");
        Assert.True(more.Code == 0, more.Err);
        var m = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal([0, 1, 2, 3], m.Select(e => e.Step));
        Assert.All(m.Skip(1), e => Assert.True(e.Values.ContainsKey("kl") && e.Values.ContainsKey("response_length") && e.Values.ContainsKey("reward")
            && e.Values["format_rate"] is >= 0 and <= 1));
        Assert.True(m[0].Values.ContainsKey("accuracy") && m[2].Values.ContainsKey("accuracy") && m[3].Values.ContainsKey("accuracy"));

        var changed = Run("grpo", "--prompts", P("train.jsonl"), "--out", P("run"), "--resume", "--iterations", "4", "--group", "3");
        Assert.Equal(1, changed.Code);
        Assert.Contains("cannot resume exactly", changed.Err);
    }

    [Fact]
    public void Bad_input_gives_clear_errors_and_an_unreachable_judge_only_zero_reward()
    {
        string policy = Setup();
        File.WriteAllLines(P("noanswer.jsonl"), ["{\"prompt\":\"What is 1 + 2?\",\"answer\":\"3\"}", "{\"prompt\":\"What is 2 + 2?\"}"]);
        var missing = Run("grpo", "--policy", policy, "--prompts", P("noanswer.jsonl"), "--out", P("a"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("noanswer.jsonl:2", missing.Err);
        Assert.Contains("'answer' is required", missing.Err);

        var spec = Run(Grpo(policy, P("b"), "--reward", "judge:not-a-url"));
        Assert.Equal(1, spec.Code);
        Assert.Contains("expected judge:<http(s) endpoint>#<model>", spec.Err);
        Assert.Contains("--reward 'bogus'", Run(Grpo(policy, P("c"), "--reward", "bogus")).Err);
        // the config's own rules, reported under the option that sets the field
        Assert.Contains("--update-epochs: update epochs 0 must be ≥ 1", Run(Grpo(policy, P("d"), "--update-epochs", "0")).Err);
        Assert.Contains("--tolerance: numeric tolerance -1 must be ≥ 0", Run(Grpo(policy, P("d"), "--tolerance", "-1")).Err);

        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var judged = Run(Grpo(policy, P("d"), "--reward", $"judge:http://127.0.0.1:{port}/v1#judge", "--judge-timeout", "2", "--judge-retries", "0",
            "--iterations", "1", "--eval-batches", "0"));
        Assert.True(judged.Code == 0, judged.Err);
        var m = MetricsReader.Read(P("d/metrics.jsonl"));
        Assert.Equal(0, m.Single().Get("reward"));
    }
}
