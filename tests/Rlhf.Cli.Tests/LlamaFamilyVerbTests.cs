using System.Text.Json;
using Rlhf.Data.Metrics;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Ppo;

namespace Rlhf.Cli.Tests;

/// <summary>
/// Every verb on a tiny random Llama-family model made by <c>rlhf model init --family … --preset tiny</c> (2 layers,
/// d = 64, 4 heads over 2 K/V heads), as the GPT-2 CLI tests do it on GPT-2: rm train + eval, dpo (qwen3), grpo (with
/// an in-process judge of the same family), ppo (+ exact resume), bon, online with the dpo and ppo trainers, and the
/// label app's sampling. Each checks that what a verb writes reloads as the same family with the same outputs.
/// </summary>
public sealed class LlamaFamilyVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-family-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private string P(string name) => Path.Combine(_dir, name);

    private static readonly string[] Nouns = ["cat", "dog", "sun", "bird"];

    private static readonly BpeTokenizer Tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(
        "User: the cat is warm. the dog is cold. the sun is good. the bird is bad.\nAssistant: good great warm sun. What is  + ? ####\n", 20)), 300);

    /// <summary>A tiny random model of <paramref name="family"/> from <c>rlhf model init</c>, with the test tokenizer beside it.</summary>
    private string Init(string name, string family = "llama", int seed = 3)
    {
        var r = Run("model", "init", "--family", family, "--preset", "tiny", "--out", P(name), "--seed", seed.ToString());
        Assert.True(r.Code == 0, r.Err);
        Tok.Save(P(name));
        return P(name);
    }

    /// <summary>A reward model on a tiny random trunk of <paramref name="family"/>, saved in that family's layout with the tokenizer.</summary>
    private string RandomRewardModel(string name, string family = "llama", int seed = 9)
    {
        string trunk = Init(name + "-trunk", family, seed);
        new RewardModel(CausalLmCheckpoint.Load(trunk), seed: (ulong)seed).Save(P(name), Tok.EndOfTextId);
        Tok.Save(P(name));
        return P(name);
    }

    private string Prompts(params string[] prompts)
    {
        string path = P("prompts.jsonl");
        File.WriteAllLines(path, prompts.Select(p => JsonSerializer.Serialize(new { prompt = p })));
        return path;
    }

    /// <summary>
    /// The checkpoint in <paramref name="dir"/> is a <paramref name="family"/> model; saved again and reloaded, and deep
    /// copied (<see cref="ModelCopy"/>), it gives bit-identical logits.
    /// </summary>
    private void AssertReloadsAs(string dir, string family)
    {
        Assert.Equal(family, CausalLmCheckpoint.ReadModelType(dir));
        var model = CausalLmCheckpoint.Load(dir);
        Assert.Equal(family, model.ModelType);
        string again = P("resaved-" + Guid.NewGuid().ToString("N"));
        model.Save(again);
        var reloaded = CausalLmCheckpoint.Load(again);
        Assert.IsType(model.GetType(), reloaded);
        int[] ids = Tok.Encode("the cat is warm.");
        float[] Logits(ICausalLm m)
        {
            using var noGrad = Tensor.NoGrad();
            return m.Logits(m.Forward(ids, 1, ids.Length)).ToArray();
        }
        var expected = Logits(model);
        Assert.All(expected, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(expected, Logits(reloaded));
        Assert.Equal(expected, Logits(ModelCopy.Of(model)));
    }

    private static void AssertFinite(MetricsEntry entry, params string[] keys)
    {
        foreach (string key in keys)
            Assert.True(entry.Get(key) is double v && double.IsFinite(v), $"{key} = {entry.Get(key)} at step {entry.Step}");
    }

    [Fact]
    public void RmTrainAndEval_OnATinyLlama_LearnsThePreference_AndSavesAScoreHeadInTheLlamaLayout()
    {
        string init = Init("base");
        var rng = new Rng(5);
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 48).Select(i =>
        {
            string a = Nouns[rng.NextInt(4)], b = Nouns[rng.NextInt(4)];
            return JsonSerializer.Serialize(new { prompt = $"the {a} {i}", chosen = $"{a} good {b}", rejected = $"{a} {b} bad" });
        }));
        var train = Run("rm", "train", "--data", P("prefs.jsonl"), "--init", init, "--out", P("rm"), "--steps", "30", "--batch", "8",
            "--lr", "3e-3", "--warmup", "2", "--eval-fraction", "0.2");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("llama, 2 layers, 4 heads (2 K/V)", train.Out);

        var eval = Run("rm", "eval", "--model", P("rm"), "--data", P("prefs.jsonl"), "--json");
        Assert.True(eval.Code == 0, eval.Err);
        var e = JsonDocument.Parse(eval.Out).RootElement;
        Assert.Equal(48, e.GetProperty("pairs").GetInt32());
        Assert.True(e.GetProperty("accuracy").GetDouble() >= 0.9, eval.Out);

        // the reward model is the llama trunk + score.weight (1, 64), and reloads with the same scores
        string checkpoint = P("rm/checkpoint");
        AssertReloadsAs(checkpoint, "llama");
        var rm = RewardModel.Load(checkpoint);
        Assert.IsType<Llama>(rm.Trunk);
        Assert.Equal([1, 64], Safetensors.Load(Path.Combine(checkpoint, HfCheckpoint.WeightsFile)).Get("score.weight").Shape);
        rm.Save(P("rm-again"), Tok.EndOfTextId);
        var again = RewardModel.Load(P("rm-again"));
        int[] ids = Tok.Encode("User: the cat 1\nAssistant: cat good dog");
        using (Tensor.NoGrad())
            Assert.Equal(rm.Scores(ids, 1, ids.Length).ToArray(), again.Scores(ids, 1, ids.Length).ToArray());
        Assert.Equal((rm.Mean, rm.Std), (again.Mean, again.Std));
    }

    [Fact]
    public void Dpo_OnATinyQwen3_WidensTheHeldOutMargin_AndResumes()
    {
        string init = Init("base", "qwen3");
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 20).Select(i => JsonSerializer.Serialize(
            new { prompt = $"the {Nouns[i % 4]} {i}", chosen = $"the {Nouns[i % 4]} is warm.", rejected = $"the {Nouns[i % 4]} is cold." })));
        string[] dpo = ["dpo", "--policy", init, "--data", P("prefs.jsonl"), "--out", P("run"), "--batch", "4", "--lr", "5e-3", "--warmup", "1",
            "--eval-interval", "3", "--eval-batches", "1", "--kl-prompts", "2", "--kl-max-new-tokens", "4", "--val-fraction", "0.2"];
        var first = Run([.. dpo, "--steps", "3"]);
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("qwen3, 2 layers", first.Out);
        var more = Run("dpo", "--data", P("prefs.jsonl"), "--out", P("run"), "--resume", "--steps", "6");
        Assert.True(more.Code == 0, more.Err);

        var entries = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal(Enumerable.Range(0, 7), entries.Select(e => e.Step));
        foreach (var e in entries.Skip(1)) AssertFinite(e, "loss", "rewards_chosen", "rewards_rejected", "grad_norm");
        var margins = entries.Where(e => e.Values.ContainsKey("eval_margin")).Select(e => e.Get("eval_margin")!.Value).ToList();
        Assert.Equal(0, margins[0], 3);   // step 0: the policy is its reference
        Assert.True(margins[^1] > margins[0] + 0.01, $"the held-out margin should widen: {string.Join(", ", margins)}");
        AssertFinite(entries[^1], "kl", "response_length");
        AssertReloadsAs(P("run/checkpoint"), "qwen3");
    }

    [Fact]
    public void Grpo_OnATinyLlama_WithAnInProcessLlamaJudge_TrainsAndSavesALlama()
    {
        var tasks = Run("tasks", "generate", "--kind", "addition", "--digits", "1", "--count", "8", "--heldout-count", "2", "--out", P("train.jsonl"), "--heldout", P("held.jsonl"));
        Assert.True(tasks.Code == 0, tasks.Err);
        string policy = Init("base");
        string judge = Init("judge", "qwen2", seed: 11);
        var r = Run("grpo", "--policy", policy, "--prompts", P("train.jsonl"), "--eval-prompts", P("held.jsonl"), "--group", "2", "--batch", "2",
            "--max-new-tokens", "4", "--lr", "1e-3", "--eval-interval", "2", "--out", P("run"), "--iterations", "2", "--reward", $"judge:local:{judge}");
        Assert.True(r.Code == 0, r.Err);
        var entries = MetricsReader.Read(P("run/metrics.jsonl"));
        Assert.Equal(2, entries[^1].Step);
        // the judge scores each response in [0, 1]: the reward is a mean of them
        Assert.All(entries.Where(e => e.Step > 0), e => Assert.InRange(e.Get("reward")!.Value, 0, 1));
        AssertFinite(entries[^1], "kl", "response_length");
        AssertReloadsAs(P("run/checkpoint"), "llama");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ppo_OnATinyLlama_ResumesExactly(bool sharedCritic)
    {
        string policy = Init("policy");
        string rm = RandomRewardModel("rm");
        string prompts = Prompts("the cat", "the dog", "the sun", "the bird");
        string[] Ppo(string outDir) => ["ppo", "--policy", policy, "--reward-model", rm, "--prompts", prompts, "--out", outDir, "--batch", "4",
            "--minibatch", "2", "--epochs", "1", "--max-new-tokens", "5", "--lr", "1e-3", "--sample-every", "1", "--checkpoint-interval", "1",
            .. sharedCritic ? new[] { "--shared-critic" } : []];
        var straight = Run([.. Ppo(P("a")), "--iterations", "3"]);
        Assert.True(straight.Code == 0, straight.Err);
        Assert.Contains("llama, 2 layers", straight.Out);
        var part = Run([.. Ppo(P("b")), "--iterations", "2"]);
        Assert.True(part.Code == 0, part.Err);
        var resumed = Run("ppo", "--out", P("b"), "--resume", "--iterations", "3");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Contains("resuming after iteration 2", resumed.Out);

        // the same metrics (timings aside) and the same weights, policy and critic, as the run that never stopped
        var a = MetricsReader.Read(P("a/metrics.jsonl"));
        var b = MetricsReader.Read(P("b/metrics.jsonl"));
        Assert.Equal([1, 2, 3], a.Select(e => e.Step));
        Assert.Equal(a.Select(e => e.Step), b.Select(e => e.Step));
        static bool Timing(string key) => key.StartsWith("time_", StringComparison.Ordinal) || key == "tokens_per_s";
        for (int i = 0; i < a.Count; i++)
            foreach (var (key, value) in a[i].Values.Where(kv => !Timing(kv.Key)))
                Assert.True(b[i].Get(key) is double w && w.Equals(value), $"iteration {a[i].Step}: {key} = {value} straight, {b[i].Get(key)} resumed");
        AssertFinite(a[^1], "proxy_reward", "kl", "value_loss", "approx_kl", "entropy");
        string[] weightFiles = sharedCritic ? [HfCheckpoint.WeightsFile] : [HfCheckpoint.WeightsFile, Path.Combine(PpoCheckpoint.CriticDirectory, HfCheckpoint.WeightsFile)];
        foreach (string file in weightFiles)
        {
            var x = Safetensors.Load(Path.Combine(P("a/checkpoint"), file)).Tensors;
            var y = Safetensors.Load(Path.Combine(P("b/checkpoint"), file)).Tensors;
            Assert.Equal(x.Keys, y.Keys);
            foreach (var (key, t) in x) Assert.True(t.ToArray().SequenceEqual(y[key].ToArray()), $"{file}: {key} differs after resume");
            // the value head sits with the critic's trunk: the policy's file when shared, else critic/
            Assert.Equal(file == weightFiles[^1], x.Keys.Any(k => k.StartsWith("v_head.", StringComparison.Ordinal)));
        }
        AssertReloadsAs(P("a/checkpoint"), "llama");
        if (!sharedCritic) AssertReloadsAs(P("a/checkpoint/critic"), "llama");
        // the policy moved away from its start
        Assert.False(Safetensors.Load(Path.Combine(policy, HfCheckpoint.WeightsFile)).Get("model.norm.weight").ToArray()
            .SequenceEqual(Safetensors.Load(Path.Combine(P("a/checkpoint"), HfCheckpoint.WeightsFile)).Get("model.norm.weight").ToArray()));
    }

    [Fact]
    public void Bon_OnATinyLlama_PicksTheBestOfNByALlamaRewardModel()
    {
        string policy = Init("policy");
        string rm = RandomRewardModel("rm", "qwen2");
        string prompts = Prompts("say something", "be nice", "hello");
        var r = Run("bon", "--policy", policy, "--reward-model", rm, "--prompts", prompts, "--n", "4", "--max-new-tokens", "6", "--out", P("out"),
            "--json", "--seed", "3");
        Assert.True(r.Code == 0, r.Err);
        var s = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(3, s.GetProperty("prompts").GetInt32());
        Assert.True(s.GetProperty("proxy_best").GetDouble() > s.GetProperty("proxy_all").GetDouble(), r.Out);
        var best = File.ReadAllLines(P("out/best.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(3, best.Length);
        Assert.All(best, b => Assert.True(b.GetProperty("proxy_reward").GetDouble() >= b.GetProperty("mean_proxy").GetDouble()));
    }

    [Theory]
    [InlineData("dpo")]
    [InlineData("ppo")]
    public void Online_OnATinyLlama_RunsARoundWithEitherTrainer(string trainer)
    {
        string policy = Init("base");
        string prompts = Prompts("the cat", "the dog", "the sun", "the bird");
        string[] args = ["online", "--policy", policy, "--prompts", prompts, "--out", P("online"), "--loop", "1", "--prompts-per-round", "4", "--k", "2",
            "--max-new-tokens", "4", "--trainer", trainer, .. trainer == "ppo" ? new[] { "--ppo-iterations", "2", "--ppo-lr", "1e-3", "--rm-steps", "3" } : ["--batch", "2", "--lr", "1e-2"]];
        var r = Run(args);
        Assert.True(r.Code == 0, r.Err);
        var entries = MetricsReader.Read(P("online/metrics.jsonl"));
        Assert.Equal([0, 1], entries.Select(e => e.Step));
        Assert.All(entries, e => AssertFinite(e, "gold_reward", "kl", "response_length"));
        Assert.NotEqual(0.0, entries[1].Get("kl")!.Value);   // the round's training moved the policy away from the initial one
        AssertReloadsAs(P($"online/round_000/{trainer}/checkpoint"), "llama");
        if (trainer == "ppo") AssertReloadsAs(P("online/round_000/rm/checkpoint"), "llama");
    }

    [Fact]
    public void LabelEnqueue_FromATinyLlama_SamplesDistinctCompletions()
    {
        string model = Init("model");
        string prompts = Prompts("hello", "the cat");
        string db = P("sampled.db");
        var r = Run("label", "enqueue", "--db", db, "--model", model, "--prompts", prompts, "--k", "3", "--max-new-tokens", "6", "--seed", "5");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("added 2 tasks", r.Out);
    }

    [Fact]
    public void Generate_OnATinyLlama_StopsAtAnyEosIdOfGenerationConfig()
    {
        string model = Init("model");
        string[] gen = ["generate", "--model", model, "--prompt", "the cat", "--max-new-tokens", "8", "--temperature", "0", "--json"];
        var free = Run(gen);
        Assert.True(free.Code == 0, free.Err);
        var ids = JsonDocument.Parse(free.Out).RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(8, ids.Length);
        // Llama 3 style: generation_config.json lists several end ids; the third generated token is one of them
        int unused = Enumerable.Range(300, 200).First(t => !ids.Contains(t));
        File.WriteAllText(Path.Combine(model, "generation_config.json"), $"{{\"eos_token_id\": [{unused}, {ids[2]}]}}");
        var stopped = Run(gen);
        Assert.True(stopped.Code == 0, stopped.Err);
        var line = JsonDocument.Parse(stopped.Out).RootElement;
        int first = Array.IndexOf(ids, ids[2]);
        Assert.Equal(ids[..(first + 1)], line.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.True(line.GetProperty("finished").GetBoolean());
    }
}
