using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;

namespace Rlhf.Cli.Tests.Golden;

/// <summary>
/// Golden-output tests: one tiny fixed-seed run per trainer, driven through the <c>rlhf</c> command line (whose option
/// names are stable while the trainers' C# API changes), compared exactly with a committed record of its metrics,
/// summary files and final weights (<see cref="GoldenRecord"/>). Unlike resume-vs-uninterrupted or same-seed-twice
/// checks, these fail when a refactor consistently shifts a learning-rate schedule, a batch order, a KL sign or the
/// clipping.
/// <para>
/// To regenerate after an intended change of behaviour (never to make a failure go away unexplained), on an AVX-512
/// machine:
/// <code>
/// RLHF_REGEN_GOLDEN=1 dotnet test tests/Rlhf.Cli.Tests -c Release --filter "FullyQualifiedName~Golden"
/// RLHF_REGEN_GOLDEN=1 DOTNET_EnableAVX512=0 dotnet test tests/Rlhf.Cli.Tests -c Release --filter "FullyQualifiedName~Golden"
/// </code>
/// then review and commit <c>tests/Rlhf.Cli.Tests/Golden/{avx512,avx2}/*.json</c>. The records do not depend on the
/// thread count (checked with <c>DOTNET_PROCESSOR_COUNT=1</c> and <c>=4</c>).
/// </para>
/// </summary>
public sealed class GoldenRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-golden-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static JsonNode? Run(params string[] args)
    {
        var (code, output, error) = InProcessCli.Run(args);
        Assert.True(code == 0, $"rlhf {string.Join(' ', args)} exited with {code}:\n{error}");
        return args.Contains("--json") ? JsonNode.Parse(output) : null;
    }

    /// <summary>
    /// The trainer's arguments, plus <c>--grad-checkpoint</c> when <paramref name="on"/>: activation checkpointing
    /// recomputes the same values in the same order, so it must reproduce the very same golden record.
    /// </summary>
    private static string[] WithCheckpoint(bool on, params string[] args) => on ? [.. args, "--grad-checkpoint"] : args;

    /// <summary>With <paramref name="on"/>, every trainer state under <paramref name="run"/> records the setting (the option reached the trainer).</summary>
    private static void AssertCheckpointRecorded(bool on, string run)
    {
        var states = Directory.EnumerateFiles(run, "trainer_state.json", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(states);
        Assert.All(states, f => Assert.Contains($"\"gradient_checkpointing\": {(on ? "true" : "false")}", File.ReadAllText(f)));
    }

    private const string Chat = "the cat is warm. the dog is cold. the sun is warm. the bird is cold. what a good day.\n";

    /// <summary>A fresh tiny model (seeded) with a BPE tokenizer, saved in HF layout.</summary>
    private string Base(string name = "base")
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(Chat, 20)), 290);
        HfCheckpoint.Save(P(name), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P(name));
        return P(name);
    }

    /// <summary>A fresh tiny reward model on the same tokenizer as <see cref="Base"/>.</summary>
    private string RewardModelDir()
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(Chat, 20)), 290);
        new RewardModel(new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 9)).Save(P("rm"), tok.EndOfTextId);
        tok.Save(P("rm"));
        return P("rm");
    }

    private string Prompts()
    {
        File.WriteAllLines(P("prompts.jsonl"), new[] { "the cat", "the dog", "the sun", "the bird" }.Select(p => JsonSerializer.Serialize(new { prompt = p })));
        return P("prompts.jsonl");
    }

    private string Preferences()
    {
        string[] nouns = ["cat", "dog", "sun", "bird"];
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 16).Select(i =>
            JsonSerializer.Serialize(new { prompt = $"the {nouns[i % 4]} {i}", chosen = $"the {nouns[i % 4]} is warm.", rejected = $"the {nouns[i % 4]} is cold." })));
        return P("prefs.jsonl");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pretrain(bool gradCheckpoint)
    {
        File.WriteAllText(P("corpus.txt"), string.Concat(Enumerable.Repeat(Chat, 40)));
        Run("tokenizer", "train", "--data", P("corpus.txt"), "--vocab-size", "290", "--out", P("tok"));
        Run(WithCheckpoint(gradCheckpoint, "pretrain", "--data", P("corpus.txt"), "--tokenizer", P("tok"), "--out", P("run"), "--config", "tiny", "--batch", "4", "--seq-len", "16",
            "--steps", "6", "--lr", "1e-2", "--warmup", "2", "--eval-interval", "3", "--eval-batches", "2", "--checkpoint-interval", "3", "--seed", "3"));
        AssertCheckpointRecorded(gradCheckpoint, P("run"));
        GoldenRecord.Check("pretrain", GoldenRecord.Capture(_dir, P("run"), [], ["checkpoint/model.safetensors"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sft(bool gradCheckpoint)
    {
        string model = Base();
        (string Q, string A)[] pairs = [("what is the cat?", "warm."), ("what is the dog?", "cold."), ("what is the sun?", "warm.")];
        File.WriteAllLines(P("sft.jsonl"), Enumerable.Range(0, 18).Select(i => JsonSerializer.Serialize(new { prompt = pairs[i % 3].Q, response = pairs[i % 3].A })));
        Run(WithCheckpoint(gradCheckpoint, "sft", "--data", P("sft.jsonl"), "--init", model, "--out", P("run"), "--batch", "4", "--steps", "6", "--lr", "1e-2", "--warmup", "2",
            "--eval-interval", "3", "--checkpoint-interval", "3", "--seed", "3"));
        AssertCheckpointRecorded(gradCheckpoint, P("run"));
        GoldenRecord.Check("sft", GoldenRecord.Capture(_dir, P("run"), [], ["checkpoint/model.safetensors"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RewardModel_Ensemble(bool gradCheckpoint)
    {
        string model = Base();
        Run(WithCheckpoint(gradCheckpoint, "rm", "train", "--data", Preferences(), "--init", model, "--out", P("run"), "--steps", "6", "--batch", "4", "--lr", "3e-3", "--warmup", "2",
            "--eval-fraction", "0.25", "--ensemble", "2", "--margin", "0.1", "--center", "--seed", "3"));
        AssertCheckpointRecorded(gradCheckpoint, P("run"));
        var record = GoldenRecord.Capture(_dir, P("run/member-0"), [], ["checkpoint/model.safetensors"]);
        record["member-1"] = GoldenRecord.Capture(_dir, P("run/member-1"), [], ["checkpoint/model.safetensors"]);
        record["eval"] = Run("rm", "eval", "--model", P("run/member-0"), "--data", P("prefs.jsonl"), "--json");
        GoldenRecord.Check("rm", record);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dpo(bool gradCheckpoint)
    {
        string model = Base();
        Run(WithCheckpoint(gradCheckpoint, "dpo", "--policy", model, "--data", Preferences(), "--out", P("run"), "--batch", "4", "--steps", "4", "--lr", "1e-2", "--warmup", "1",
            "--seq-len", "40", "--eval-interval", "2", "--eval-batches", "1", "--kl-prompts", "2", "--kl-max-new-tokens", "4", "--gold", "lexicon",
            "--val-fraction", "0.25", "--seed", "3"));
        AssertCheckpointRecorded(gradCheckpoint, P("run"));
        GoldenRecord.Check("dpo", GoldenRecord.Capture(_dir, P("run"), ["reference_logps.json"], ["checkpoint/model.safetensors"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Grpo(bool gradCheckpoint)
    {
        Run("tasks", "generate", "--kind", "addition", "--digits", "1", "--count", "8", "--heldout-count", "4", "--seed", "2",
            "--out", P("train.jsonl"), "--heldout", P("held.jsonl"));
        var tok = BpeTrainer.Train("User: What is  + ?\nAssistant:  +  = . #### \n", 280);
        HfCheckpoint.Save(P("base"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        Run(WithCheckpoint(gradCheckpoint, "grpo", "--policy", P("base"), "--prompts", P("train.jsonl"), "--eval-prompts", P("held.jsonl"), "--group", "3", "--batch", "2",
            "--max-new-tokens", "4", "--lr", "1e-2", "--eval-interval", "2", "--iterations", "3", "--beta", "0.05", "--seed", "3", "--out", P("run")));
        AssertCheckpointRecorded(gradCheckpoint, P("run"));
        GoldenRecord.Check("grpo", GoldenRecord.Capture(_dir, P("run"), [], ["checkpoint/model.safetensors"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ppo(bool gradCheckpoint)
    {
        string policy = Base("policy"), rm = RewardModelDir();
        Run(WithCheckpoint(gradCheckpoint, "ppo", "--policy", policy, "--reward-model", rm, "--prompts", Prompts(), "--out", P("run"), "--batch", "4", "--minibatch", "2",
            "--epochs", "2", "--max-new-tokens", "5", "--gold", "lexicon", "--heldout-rm", rm, "--sample-every", "1", "--checkpoint-interval", "1",
            "--iterations", "3", "--seed", "3"));
        AssertCheckpointRecorded(gradCheckpoint, P("run"));
        GoldenRecord.Check("ppo", GoldenRecord.Capture(_dir, P("run"), ["samples.jsonl"], ["checkpoint/model.safetensors", "checkpoint/critic/model.safetensors"]));
    }

    [Fact]
    public void BestOfN()
    {
        string policy = Base("policy"), rm = RewardModelDir();
        var summary = Run("bon", "--policy", policy, "--reward-model", rm, "--prompts", Prompts(), "--n", "4", "--max-new-tokens", "6", "--out", P("out"),
            "--gold", "lexicon", "--curve", "--write-sft", P("out/sft.jsonl"), "--json", "--seed", "3");
        GoldenRecord.Check("bon", GoldenRecord.Capture(_dir, P("out"), ["best.jsonl", "curve.json", "sft.jsonl"], [], summary));
    }

    [Fact]
    public void Online()
    {
        string policy = Base("policy");
        Run("online", "--policy", policy, "--prompts", Prompts(), "--out", P("run"), "--loop", "2", "--prompts-per-round", "3", "--k", "2",
            "--max-new-tokens", "4", "--batch", "2", "--lr", "1e-2", "--seed", "3");
        GoldenRecord.Check("online", GoldenRecord.Capture(_dir, P("run"), [], FinalWeights(P("run"))));
    }

    [Fact]
    public void Online_WithThePpoTrainer()
    {
        string policy = Base("policy");
        Run("online", "--policy", policy, "--prompts", Prompts(), "--out", P("run"), "--loop", "1", "--prompts-per-round", "4", "--k", "3",
            "--max-new-tokens", "4", "--trainer", "ppo", "--ppo-iterations", "2", "--ppo-lr", "1e-3", "--rm-steps", "3", "--seed", "3");
        GoldenRecord.Check("online-ppo", GoldenRecord.Capture(_dir, P("run"), [], FinalWeights(P("run"))));
    }

    /// <summary>Every model weights file under a run (relative paths, sorted): the online loop's per-round models.</summary>
    private static string[] FinalWeights(string dir) =>
        Directory.EnumerateFiles(dir, "model.safetensors", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
}
