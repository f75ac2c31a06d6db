using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Cli.Tests;

/// <summary><c>--lora-r</c> on the trainer verbs, PEFT checkpoints, exact resume, <c>rlhf model merge</c>.</summary>
public sealed class LoraCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-lora-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A tiny base model (GPT-2 or Llama) with its tokenizer in HF layout, and an SFT JSONL file.</summary>
    private (string Model, string Data) Setup(string family)
    {
        (string Q, string A)[] pairs = [("what did the cat do?", "it sat."), ("where did the dog run?", "in the park."), ("how is the sun?", "warm.")];
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(string.Concat(pairs.Select(p => p.Q + " " + p.A + "\n")), 20)), 300);
        ICausalLm model = family == "gpt2"
            ? new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4)
            : new Llama(LlamaPresets.Get("tiny", "llama") with { VocabSize = tok.VocabSize, MaxPositions = 48, HiddenSize = 32, HeadDim = 8, IntermediateSize = 64 }, seed: 4);
        model.Save(P("base"), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        File.WriteAllLines(P("sft.jsonl"), Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new { prompt = pairs[i % 3].Q, response = pairs[i % 3].A })));
        return (P("base"), P("sft.jsonl"));
    }

    private static Dictionary<string, float[]> Tensors(string file) =>
        Safetensors.Load(file).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void SftLora_TrainsOnlyAdapters_ResumesExactly_AndMerges(string family)
    {
        var (model, data) = Setup(family);
        byte[] baseBytes = File.ReadAllBytes(Path.Combine(model, "model.safetensors"));
        // a constant learning rate, so that a 4-step run resumed to 6 steps has the schedule of the 6-step run
        string[] Sft(string outDir) => ["sft", "--data", data, "--init", model, "--out", outDir, "--batch", "4", "--lr", "1e-2", "--min-lr", "1e-2", "--warmup", "0",
            "--eval-interval", "2", "--checkpoint-interval", "2", "--lora-r", "4", "--lora-dropout", "0.1"];

        var straight = Run([.. Sft(P("straight")), "--steps", "6"]);
        Assert.True(straight.Code == 0, straight.Err);
        Assert.Contains("LoRA r 4, alpha 8", straight.Out);
        string ckpt = P("straight/checkpoint");
        Assert.True(File.Exists(Path.Combine(ckpt, "adapter_config.json")));
        Assert.False(File.Exists(Path.Combine(ckpt, "model.safetensors"))); // the base is not copied
        var optimizer = Safetensors.Load(Path.Combine(ckpt, "optimizer.safetensors")).Tensors.Keys.ToList();
        Assert.All(optimizer, k => Assert.Contains(".lora_", k));          // optimizer state only for adapters
        var val = Rlhf.Data.Metrics.MetricsReader.Read(P("straight/metrics.jsonl")).Where(e => e.Values.ContainsKey("val_loss")).Select(e => e.Get("val_loss")).ToList();
        Assert.True(val[^1] < val[0], $"held-out loss should fall: {string.Join(", ", val)}");

        var first = Run([.. Sft(P("resumed")), "--steps", "4"]);
        Assert.True(first.Code == 0, first.Err);
        var more = Run("sft", "--data", data, "--out", P("resumed"), "--resume", "--steps", "6");
        Assert.True(more.Code == 0, more.Err);
        var a = Tensors(Path.Combine(ckpt, "adapter_model.safetensors"));
        var b = Tensors(P("resumed/checkpoint/adapter_model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.Equal(a[key], b[key]); // bit-identical to the uninterrupted run
        Assert.Equal(baseBytes, File.ReadAllBytes(Path.Combine(model, "model.safetensors")));

        // the run is a model wherever one is read (base + adapters merged), and merges into a full checkpoint
        var gen = Run("generate", "--model", P("straight"), "--template", "--prompt", "what did the cat do?", "--max-new-tokens", "6", "--json", "--temperature", "0");
        Assert.True(gen.Code == 0, gen.Err);
        var merge = Run("model", "merge", "--adapter", P("straight"), "--out", P("merged"));
        Assert.True(merge.Code == 0, merge.Err);
        var merged = CausalLmCheckpoint.Load(P("merged"));
        Assert.Equal(family, merged.ModelType);
        var fromMerged = Run("generate", "--model", P("merged"), "--template", "--prompt", "what did the cat do?", "--max-new-tokens", "6", "--json", "--temperature", "0");
        Assert.True(fromMerged.Code == 0, fromMerged.Err);
        Assert.Equal(JsonDocument.Parse(gen.Out).RootElement.GetProperty("completion").GetString(),
            JsonDocument.Parse(fromMerged.Out).RootElement.GetProperty("completion").GetString());
        var again = Run("model", "merge", "--adapter", P("straight"), "--out", P("merged"));
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Err);
    }

    [Fact]
    public void DpoAndRm_WithLora_SaveAdapters_ResumeAndLoadAsModels()
    {
        var (model, _) = Setup("gpt2");
        string[] nouns = ["cat", "dog", "sun"];
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 24).Select(i => JsonSerializer.Serialize(new
        {
            prompt = $"what did the {nouns[i % 3]} do?", chosen = "it sat in the park.", rejected = "warm.",
        })));
        File.WriteAllLines(P("score.jsonl"), [JsonSerializer.Serialize(new { prompt = "what did the cat do?", response = "it sat in the park." })]);

        string[] dpo = ["dpo", "--policy", model, "--data", P("prefs.jsonl"), "--out", P("dpo"), "--batch", "4", "--lr", "1e-2", "--warmup", "1",
            "--eval-interval", "2", "--eval-batches", "1", "--kl-prompts", "1", "--kl-max-new-tokens", "3", "--val-fraction", "0.2", "--lora-r", "2", "--lora-targets", "c_attn"];
        var d = Run([.. dpo, "--steps", "2"]);
        Assert.True(d.Code == 0, d.Err);
        Assert.True(File.Exists(P("dpo/checkpoint/adapter_model.safetensors")));
        Assert.Equal(2 * 2, Safetensors.Load(P("dpo/checkpoint/adapter_model.safetensors")).Tensors.Count); // c_attn of 2 layers: A and B
        var dMore = Run("dpo", "--data", P("prefs.jsonl"), "--out", P("dpo"), "--resume", "--steps", "3");
        Assert.True(dMore.Code == 0, dMore.Err);
        Assert.Contains("resuming after step 2", dMore.Out);

        var rm = Run("rm", "train", "--data", P("prefs.jsonl"), "--init", model, "--out", P("rm"), "--steps", "3", "--batch", "4", "--lr", "3e-3",
            "--warmup", "0", "--eval-fraction", "0.2", "--lora-r", "2");
        Assert.True(rm.Code == 0, rm.Err);
        var rmFile = Safetensors.Load(P("rm/checkpoint/adapter_model.safetensors"));
        Assert.Contains("score.weight", rmFile.Tensors.Keys); // the head trains and is saved beside the adapters
        Assert.Contains("reward_std", rmFile.Metadata.Keys);
        var score = Run("rm", "score", "--model", P("rm"), "--data", P("score.jsonl"), "--json");
        Assert.True(score.Code == 0, score.Err);
        var rmMore = Run("rm", "train", "--data", P("prefs.jsonl"), "--out", P("rm"), "--resume", "--steps", "4");
        Assert.True(rmMore.Code == 0, rmMore.Err);
        Assert.Contains("resuming after step 3", rmMore.Out);
    }

    [Fact]
    public void GrpoLora_TrainsAdapters_WithTheBaseAsReference_AndResumes()
    {
        var gen = Run("tasks", "generate", "--kind", "addition", "--digits", "1", "--count", "12", "--heldout-count", "4", "--out", P("train.jsonl"), "--heldout", P("held.jsonl"));
        Assert.True(gen.Code == 0, gen.Err);
        var tok = BpeTrainer.Train("User: What is  + ?\nAssistant:  +  = . #### \n", 280);
        new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4).Save(P("base"), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        byte[] baseBytes = File.ReadAllBytes(P("base/model.safetensors"));
        var first = Run("grpo", "--policy", P("base"), "--prompts", P("train.jsonl"), "--eval-prompts", P("held.jsonl"), "--group", "2", "--batch", "2",
            "--max-new-tokens", "4", "--lr", "1e-3", "--eval-interval", "2", "--out", P("grpo"), "--beta", "0.05", "--lora-r", "2", "--iterations", "2");
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("LoRA r 2", first.Out);
        Assert.True(File.Exists(P("grpo/checkpoint/adapter_model.safetensors")));
        var more = Run("grpo", "--prompts", P("train.jsonl"), "--eval-prompts", P("held.jsonl"), "--out", P("grpo"), "--resume", "--iterations", "3");
        Assert.True(more.Code == 0, more.Err);
        Assert.Equal(new[] { 0, 1, 2, 3 }, Rlhf.Data.Metrics.MetricsReader.Read(P("grpo/metrics.jsonl")).Select(e => e.Step));
        Assert.Equal(baseBytes, File.ReadAllBytes(P("base/model.safetensors")));
    }

    [Fact]
    public void PpoLora_ReferenceIsTheBase_CheckpointsAdaptersAndHead_ResumesExactly()
    {
        string text = string.Concat(Enumerable.Repeat("the movie was great and fun.\nthe food was bad and cold.\nwhat a lovely day.\n", 20));
        var tok = BpeTrainer.Train(text, 290);
        new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4).Save(P("policy"), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        new RewardModel(new Gpt(new GptConfig(2, 2, 16, 64, tok.VocabSize), seed: 9)).Save(P("rm"), tok.EndOfTextId);
        tok.Save(P("rm"));
        File.WriteAllLines(P("prompts.jsonl"), new[] { "how was the movie?", "how was the food?", "tell me about the day." }.Select(p => JsonSerializer.Serialize(new { prompt = p })));
        byte[] baseBytes = File.ReadAllBytes(P("policy/model.safetensors"));
        string[] Ppo(string outDir) => ["ppo", "--policy", P("policy"), "--reward-model", P("rm"), "--prompts", P("prompts.jsonl"), "--out", outDir,
            "--batch", "4", "--minibatch", "2", "--epochs", "1", "--max-new-tokens", "5", "--checkpoint-interval", "1", "--shared-critic",
            "--lr", "1e-2", "--lora-r", "2", "--lora-dropout", "0.1"];
        var straight = Run([.. Ppo(P("straight")), "--iterations", "3"]);
        Assert.True(straight.Code == 0, straight.Err);
        var saved = Safetensors.Load(P("straight/checkpoint/adapter_model.safetensors")).Tensors.Keys.ToList();
        Assert.Contains(saved, k => k.StartsWith("v_head.", StringComparison.Ordinal)); // the shared value head trains beside the adapters
        Assert.Contains(saved, k => k.EndsWith(".lora_B.weight", StringComparison.Ordinal));
        Assert.False(File.Exists(P("straight/checkpoint/model.safetensors")));
        Assert.All(Safetensors.Load(P("straight/checkpoint/optimizer.safetensors")).Tensors.Keys, k => Assert.True(k.Contains(".lora_") || k.StartsWith("v_head.", StringComparison.Ordinal), k));

        var first = Run([.. Ppo(P("resumed")), "--iterations", "2"]);
        Assert.True(first.Code == 0, first.Err);
        var more = Run("ppo", "--out", P("resumed"), "--resume", "--iterations", "3");
        Assert.True(more.Code == 0, more.Err);
        var a = Tensors(P("straight/checkpoint/adapter_model.safetensors"));
        var b = Tensors(P("resumed/checkpoint/adapter_model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.Equal(a[key], b[key]);
        Assert.Equal(baseBytes, File.ReadAllBytes(P("policy/model.safetensors")));
        var gen = Run("generate", "--model", P("straight"), "--template", "--prompt", "how was the movie?", "--max-new-tokens", "3");
        Assert.True(gen.Code == 0, gen.Err);
    }

    [Fact]
    public void PpoLora_CriticIsTheValueHeadOnTheLoraTrunk_UnlessAFullCopyIsAskedFor()
    {
        string text = string.Concat(Enumerable.Repeat("the movie was great and fun.\nthe food was bad and cold.\nwhat a lovely day.\n", 20));
        var tok = BpeTrainer.Train(text, 290);
        new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4).Save(P("policy"), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        new RewardModel(new Gpt(new GptConfig(2, 2, 16, 64, tok.VocabSize), seed: 9)).Save(P("rm"), tok.EndOfTextId);
        tok.Save(P("rm"));
        File.WriteAllLines(P("prompts.jsonl"), new[] { "how was the movie?", "how was the food?" }.Select(p => JsonSerializer.Serialize(new { prompt = p })));
        string[] Ppo(string outDir) => ["ppo", "--policy", P("policy"), "--reward-model", P("rm"), "--prompts", P("prompts.jsonl"), "--out", outDir,
            "--batch", "2", "--minibatch", "2", "--epochs", "1", "--max-new-tokens", "3", "--checkpoint-interval", "1", "--iterations", "1", "--lora-r", "2"];

        var lora = Run(Ppo(P("lora"))); // no --shared-critic: with LoRA the critic is still the head on the policy's adapters
        Assert.True(lora.Code == 0, lora.Err);
        Assert.Contains("the critic is a value head on the policy's adapters", lora.Out);
        Assert.False(Directory.Exists(P("lora/checkpoint/critic")));
        Assert.False(File.Exists(P("lora/checkpoint/critic_optimizer.safetensors")));
        Assert.Contains(Safetensors.Load(P("lora/checkpoint/adapter_model.safetensors")).Tensors.Keys, k => k.StartsWith("v_head.", StringComparison.Ordinal));
        Assert.All(Safetensors.Load(P("lora/checkpoint/optimizer.safetensors")).Tensors.Keys, k => Assert.True(k.Contains(".lora_") || k.StartsWith("v_head.", StringComparison.Ordinal), k));

        var full = Run([.. Ppo(P("full")), "--shared-critic", "false"]); // asked for explicitly: a full critic copy of its own
        Assert.True(full.Code == 0, full.Err);
        Assert.True(File.Exists(P("full/checkpoint/critic/model.safetensors")));
        Assert.DoesNotContain(Safetensors.Load(P("full/checkpoint/adapter_model.safetensors")).Tensors.Keys, k => k.StartsWith("v_head.", StringComparison.Ordinal));
    }

    [Fact]
    public void Lora_BadSettings_AreReportedUnderTheirOptions()
    {
        var (model, data) = Setup("gpt2");
        var zero = Run("sft", "--data", data, "--init", model, "--out", P("r0"), "--lora-r", "0");
        Assert.Equal(1, zero.Code);
        Assert.Contains("--lora-r", zero.Err);
        var target = Run("sft", "--data", data, "--init", model, "--out", P("t"), "--lora-r", "2", "--lora-targets", "q_proj");
        Assert.Equal(1, target.Code);
        Assert.Contains("'q_proj'", target.Err);
        Assert.Contains("c_attn", target.Err);
        var alphaAlone = Run("sft", "--data", data, "--init", model, "--out", P("a"), "--lora-alpha", "16");
        Assert.Equal(1, alphaAlone.Code);
        Assert.Contains("give --lora-r", alphaAlone.Err);
        Assert.False(Directory.Exists(P("a/checkpoint")));
    }
}
