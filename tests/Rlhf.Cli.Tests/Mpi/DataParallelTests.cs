using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rlhf.Data.Metrics;
using Xunit.Abstractions;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;

namespace Rlhf.Cli.Tests.Mpi;

/// <summary>
/// <c>mpiexec -n 2 rlhf …</c> (one thread per rank on the 2-core CI machine) against the same run in one process,
/// on tiny models. Tolerances: the two runs differ only in the order of float32 sums (each rank sums its shard's
/// gradients, then the ranks' sums are added), so the loss curves agree to a relative 1e-4 and the final weights to
/// an absolute 1e-4; a 2-rank run and its resumed twin agree exactly, and GRPO's first rollouts and scores are equal.
/// </summary>
public sealed partial class DataParallelTests(ITestOutputHelper log) : IDisposable
{
    private const double LossTolerance = 1e-4;   // relative, per logged loss
    private const float WeightTolerance = 1e-4f; // absolute, per weight
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(6);

    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-mpi-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static void Ok((int Code, string Out, string Err) r) => Assert.True(r.Code == 0, $"exit {r.Code}\n{r.Out}\n{r.Err}");

    private (string Model, string Data) SftSetup()
    {
        (string Q, string A)[] pairs = [("what did the cat do?", "it sat."), ("where did the dog run?", "in the park."), ("how is the sun?", "warm.")];
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(string.Concat(pairs.Select(p => p.Q + " " + p.A + "\n")), 20)), 300);
        HfCheckpoint.Save(P("base"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        File.WriteAllLines(P("sft.jsonl"), Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new { prompt = pairs[i % 3].Q + new string('!', i % 4), response = pairs[i % 3].A })));
        return (P("base"), P("sft.jsonl"));
    }

    [MpiFact]
    public void Sft_TwoRanksFollowTheOneProcessRun()
    {
        var (model, data) = SftSetup();
        // batch 3 over 2 ranks: shards of 1 and 2 rows; 22 kept examples → the 8th batch of the epoch holds 1 row, so
        // one rank has an empty shard at step 8
        string[] sft = ["sft", "--data", data, "--init", model, "--batch", "3", "--lr", "1e-2", "--warmup", "2", "--eval-interval", "3", "--steps", "9"];
        Ok(InProcessCli.Run([.. sft, "--out", P("one")]));
        var two = MpiRun.Run(2, [.. sft, "--out", P("two")], Timeout);
        Ok(two);
        Assert.Single(Regex.Matches(two.Out, "sft done")); // only rank 0 prints
        AssertSameCurve(P("one"), P("two"), "loss", "val_loss", "grad_norm");
        AssertCloseWeights(P("one/checkpoint"), P("two/checkpoint"));
    }

    [MpiFact]
    public void Sft_TwoRanksStoppedBySigtermOnOneRank_ResumeExactly()
    {
        var (model, data) = SftSetup();
        string[] sft = ["sft", "--data", data, "--init", model, "--batch", "4", "--lr", "1e-2", "--warmup", "2", "--eval-interval", "50",
            "--checkpoint-interval", "10", "--steps", "200"];
        Ok(MpiRun.Run(2, [.. sft, "--out", P("whole")], Timeout));

        // SIGTERM to rank 1 only: both ranks agree to stop after the same step, rank 0 saves, and --resume under 2
        // ranks continues exactly as the uninterrupted run
        string tag = Guid.NewGuid().ToString("N");
        StringBuilder output = new(), error = new();
        using (var job = MpiRun.Start(2, [.. sft, "--out", P("cut")], new Dictionary<string, string> { ["RLHF_TEST_TAG"] = tag }, output, error))
        {
            try
            {
                WaitFor(() => File.Exists(P("cut/checkpoint/trainer_state.json")), job, output, error);
                int rank1 = WaitForValue(() => MpiRun.FindRank(tag, 1), job, output, error);
                Signal("TERM", rank1);
                Assert.True(job.WaitForExit(Timeout), $"no stop after SIGTERM\n{output}\n{error}");
                job.WaitForExit();
                Assert.True(job.ExitCode == 130, $"exit {job.ExitCode} (expected 130: stopped by a signal, checkpoint saved)\n{output}\n{error}");
            }
            finally { if (!job.HasExited) job.Kill(entireProcessTree: true); }
        }
        Assert.Contains("sft stopped at step", output.ToString());
        int stoppedAt = StepOf(P("cut"));
        Assert.InRange(stoppedAt, 10, 199);
        var more = MpiRun.Run(2, ["sft", "--data", data, "--out", P("cut"), "--resume"], Timeout);
        Ok(more);
        Assert.Contains($"resuming after step {stoppedAt}", more.Out);
        AssertSameCurve(P("whole"), P("cut"), tolerance: 0, "loss", "val_loss", "grad_norm");
        AssertCloseWeights(P("whole/checkpoint"), P("cut/checkpoint"), tolerance: 0);
    }

    [MpiFact]
    public void Pretrain_TwoRanksFollowTheOneProcessRun()
    {
        string[] lines = ["the cat sat on the mat.", "a dog ran in the park.", "the sun is warm today.", "birds sing in the tree."];
        File.WriteAllText(P("corpus.txt"), string.Join("\n", Enumerable.Range(0, 200).Select(i => lines[i % 4])));
        Ok(InProcessCli.Run("tokenizer", "train", "--data", P("corpus.txt"), "--vocab-size", "300", "--out", P("tok")));
        string[] pre = ["pretrain", "--data", P("corpus.txt"), "--tokenizer", P("tok"), "--config", "tiny", "--batch", "4", "--lr", "1e-2", "--warmup", "2",
            "--eval-interval", "3", "--eval-batches", "2", "--steps", "6"];
        Ok(InProcessCli.Run([.. pre, "--out", P("one")]));
        var two = MpiRun.Run(2, [.. pre, "--out", P("two")], Timeout);
        Ok(two);
        Assert.Contains("pretrain done: 6 steps", two.Out);
        Assert.Single(Regex.Matches(two.Out, "pretrain done")); // only rank 0 prints
        AssertSameCurve(P("one"), P("two"), "loss", "val_loss", "grad_norm");
        AssertCloseWeights(P("one/checkpoint"), P("two/checkpoint"));
        Assert.All(MetricsReader.Read(P("two/metrics.jsonl")).Skip(1), e => Assert.True(e.Get("allreduce_s") >= 0));
    }

    [MpiFact]
    public void Dpo_TwoRanksFollowTheOneProcessRun()
    {
        string[] nouns = ["cat", "dog", "sun", "bird"];
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("the cat is warm. the dog is cold. the sun is warm. the bird is cold.\n", 20)), 300);
        HfCheckpoint.Save(P("base"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 20).Select(i => JsonSerializer.Serialize(
            new { prompt = $"the {nouns[i % 4]} {i}", chosen = $"the {nouns[i % 4]} is warm.", rejected = $"the {nouns[i % 4]} is {(i % 3 == 0 ? "very " : "")}cold." })));
        string[] dpo = ["dpo", "--policy", P("base"), "--data", P("prefs.jsonl"), "--batch", "4", "--lr", "1e-2", "--warmup", "1", "--seq-len", "40",
            "--eval-interval", "2", "--eval-batches", "1", "--kl-prompts", "2", "--kl-max-new-tokens", "4", "--val-fraction", "0.2", "--steps", "5"];
        Ok(InProcessCli.Run([.. dpo, "--out", P("one")]));
        Ok(MpiRun.Run(2, [.. dpo, "--out", P("two")], Timeout));
        AssertSameCurve(P("one"), P("two"), "loss", "margin", "rewards_chosen", "accuracy", "grad_norm", "eval_loss", "kl");
        AssertCloseWeights(P("one/checkpoint"), P("two/checkpoint"));
    }

    [MpiFact]
    public void Grpo_TwoRanksSampleAndScoreTheOneProcessRollouts()
    {
        Ok(InProcessCli.Run("tasks", "generate", "--kind", "addition", "--digits", "1", "--count", "12", "--heldout-count", "4", "--out", P("train.jsonl"), "--heldout", P("held.jsonl")));
        var tok = BpeTrainer.Train("User: What is  + ?\nAssistant:  +  = . #### \n", 280);
        HfCheckpoint.Save(P("base"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        string[] grpo = ["grpo", "--policy", P("base"), "--prompts", P("train.jsonl"), "--eval-prompts", P("held.jsonl"), "--group", "4", "--batch", "3",
            "--max-new-tokens", "6", "--lr", "1e-3", "--eval-interval", "2", "--steps", "3"];
        Ok(InProcessCli.Run([.. grpo, "--out", P("one")]));
        Ok(MpiRun.Run(2, [.. grpo, "--out", P("two")], Timeout));
        // iteration 1: the same policy sampled the same tokens with the same seeds (prompts 0 | 1–2 over the ranks), so the
        // rollout figures are equal, not only close
        var one = MetricsReader.Read(P("one/metrics.jsonl")).Single(e => e.Step == 1);
        var two = MetricsReader.Read(P("two/metrics.jsonl")).Single(e => e.Step == 1);
        foreach (string name in new[] { "reward", "reward_std", "response_length", "repetition_rate", "flat_groups", "skipped", "truncated_frac" })
            if (one.Get(name) is { } expected) Assert.Equal(expected, two.Get(name));
        AssertSameCurve(P("one"), P("two"), "loss", "kl", "accuracy");
        // the rollout generator ends where one process leaves it, so a resume continues the same streams
        Assert.Equal(RolloutRng(P("one")), RolloutRng(P("two")));
    }

    [MpiFact]
    public void KilledRank_EndsTheJob_AndTheLastCheckpointResumes()
    {
        var (model, data) = SftSetup();
        string tag = Guid.NewGuid().ToString("N");
        string[] sft = ["sft", "--data", data, "--init", model, "--batch", "4", "--lr", "1e-3", "--checkpoint-interval", "1", "--eval-batches", "0", "--out", P("run")];
        StringBuilder output = new(), error = new();
        using var job = MpiRun.Start(2, [.. sft, "--steps", "100000"], new Dictionary<string, string> { ["RLHF_TEST_TAG"] = tag }, output, error);
        try
        {
            WaitFor(() => File.Exists(P("run/checkpoint/trainer_state.json")), job, output, error);
            int victim = WaitForValue(() => MpiRun.FindRank(tag, 1), job, output, error);
            Process.GetProcessById(victim).Kill();
            Assert.True(job.WaitForExit(TimeSpan.FromMinutes(2)), $"the job did not end within 2 minutes of a killed rank\n{output}\n{error}");
            job.WaitForExit();
            Assert.NotEqual(0, job.ExitCode);
        }
        finally { if (!job.HasExited) job.Kill(entireProcessTree: true); }

        var resumed = MpiRun.Run(2, ["sft", "--data", data, "--out", P("run"), "--resume", "--steps", StepOf(P("run")) + 2 + ""], Timeout);
        Ok(resumed);
        Assert.Contains("sft done", resumed.Out);
    }

    [MpiFact]
    public void HungRank_IsCutOffByTheCollectiveTimeout()
    {
        var (model, data) = SftSetup();
        string tag = Guid.NewGuid().ToString("N");
        string[] sft = ["sft", "--data", data, "--init", model, "--batch", "4", "--lr", "1e-3", "--checkpoint-interval", "1", "--eval-batches", "0", "--out", P("run")];
        StringBuilder output = new(), error = new();
        using var job = MpiRun.Start(2, [.. sft, "--steps", "100000"], new Dictionary<string, string> { ["RLHF_TEST_TAG"] = tag, ["RLHF_MPI_TIMEOUT"] = "5" }, output, error);
        int? victim = null;
        try
        {
            WaitFor(() => File.Exists(P("run/checkpoint/trainer_state.json")), job, output, error);
            victim = WaitForValue(() => MpiRun.FindRank(tag, 1), job, output, error);
            Signal("STOP", victim.Value);
            Assert.True(job.WaitForExit(TimeSpan.FromMinutes(2)), $"the job did not end within 2 minutes of a hung rank\n{output}\n{error}");
            job.WaitForExit();
            Assert.NotEqual(0, job.ExitCode);
            Assert.Contains("has waited", error.ToString());
        }
        finally
        {
            if (!job.HasExited) job.Kill(entireProcessTree: true);
            if (victim is int pid) try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        Assert.True(StepOf(P("run")) >= 1); // the last checkpoint is readable
    }

    [MpiFact]
    public void VerbsThatAreNotDataParallel_AreRefusedUnderMpiexec()
    {
        var r = MpiRun.Run(2, ["online", "--help-not-given"], Timeout);
        Assert.Equal(2, r.Code);
        Assert.Contains("does not run under mpiexec", r.Err);
    }

    // ---- helpers

    private void AssertSameCurve(string expectedRun, string actualRun, params string[] names) => AssertSameCurve(expectedRun, actualRun, LossTolerance, names);

    private void AssertSameCurve(string expectedRun, string actualRun, double tolerance, params string[] names)
    {
        var expected = MetricsReader.Read(Path.Combine(expectedRun, "metrics.jsonl"));
        var actual = MetricsReader.Read(Path.Combine(actualRun, "metrics.jsonl"));
        Assert.Equal(expected.Select(e => e.Step), actual.Select(e => e.Step));
        int compared = 0;
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
            foreach (string name in names)
            {
                if (expected[i].Get(name) is not { } x) continue;
                double y = actual[i].Get(name) ?? double.NaN;
                worst = Math.Max(worst, Math.Abs(x - y) / Math.Max(1, Math.Abs(x)));
                Assert.True(Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x)),
                    $"{name} at step {expected[i].Step}: {x:R} (expected) vs {y:R}, tolerance {tolerance:G}");
                compared++;
            }
        Assert.True(compared >= expected.Count, $"too few figures compared ({compared})");
        log.WriteLine($"{Path.GetFileName(actualRun)} vs {Path.GetFileName(expectedRun)}: largest relative difference of [{string.Join(", ", names)}] {worst:G3}");
    }

    private void AssertCloseWeights(string expectedDir, string actualDir, float tolerance = WeightTolerance)
    {
        var a = CausalLmCheckpoint.Load(expectedDir).Parameters();
        var b = CausalLmCheckpoint.Load(actualDir).Parameters();
        Assert.Equal(a.Count, b.Count);
        float worst = 0;
        for (int i = 0; i < a.Count; i++)
        {
            var x = a[i].ToArray();
            var y = b[i].ToArray();
            Assert.Equal(x.Length, y.Length);
            for (int j = 0; j < x.Length; j++) worst = Math.Max(worst, Math.Abs(x[j] - y[j]));
        }
        log.WriteLine($"{expectedDir} vs {actualDir}: largest weight difference {worst:G3}");
        Assert.True(worst <= tolerance, $"largest weight difference {worst:G} exceeds {tolerance:G}");
    }

    private static void Signal(string name, int pid)
    {
        using var kill = Process.Start("kill", [$"-{name}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static string RolloutRng(string run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint", "trainer_state.json"))).RootElement.GetProperty("sampler").GetProperty("rollouts").GetRawText();

    private static int StepOf(string run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint", "trainer_state.json"))).RootElement.GetProperty("step").GetInt32();

    private static void WaitFor(Func<bool> condition, Process job, StringBuilder output, StringBuilder error) =>
        WaitForValue(() => condition() ? 1 : (int?)null, job, output, error);

    private static int WaitForValue(Func<int?> probe, Process job, StringBuilder output, StringBuilder error)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            if (probe() is int value) return value;
            if (job.HasExited) Assert.Fail($"the job ended early (exit {job.ExitCode})\n{output}\n{error}");
            Thread.Sleep(200);
        }
        Assert.Fail($"timed out waiting\n{output}\n{error}");
        return 0;
    }
}
