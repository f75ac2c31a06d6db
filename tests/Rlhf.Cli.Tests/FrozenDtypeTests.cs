using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;

namespace Rlhf.Cli.Tests;

/// <summary><c>--frozen-dtype bf16</c> on the verbs with frozen models (dpo, ppo): they run, the frozen model's numbers move by bf16 rounding only, and a resume cannot switch it.</summary>
public sealed class FrozenDtypeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-frozen-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static void Run(params string[] args)
    {
        var (code, _, error) = InProcessCli.Run(args);
        Assert.True(code == 0, $"rlhf {string.Join(' ', args)} exited with {code}:\n{error}");
    }

    private const string Chat = "the cat is warm. the dog is cold. the sun is warm. the bird is cold. what a good day.\n";

    private string Model(string name, ulong seed, bool reward = false)
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(Chat, 20)), 290);
        var gpt = new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed);
        if (reward) new RewardModel(gpt, seed: 9).Save(P(name), tok.EndOfTextId);
        else HfCheckpoint.Save(P(name), gpt, eosTokenId: tok.EndOfTextId);
        tok.Save(P(name));
        return P(name);
    }

    private static double[] ReferenceLogProbs(string run) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(run, "reference_logps.json")))!["train"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();

    [Fact]
    public void Dpo_Bf16Reference_IsCloseToF32_AndCannotChangeOnResume()
    {
        string model = Model("base", 4);
        string[] nouns = ["cat", "dog", "sun", "bird"];
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 12).Select(i =>
            JsonSerializer.Serialize(new { prompt = $"the {nouns[i % 4]} {i}", chosen = $"the {nouns[i % 4]} is warm.", rejected = $"the {nouns[i % 4]} is cold." })));
        string[] common = ["--policy", model, "--data", P("prefs.jsonl"), "--batch", "4", "--steps", "2", "--lr", "1e-2", "--warmup", "1", "--seq-len", "40",
            "--eval-batches", "0", "--kl-prompts", "0", "--val-fraction", "0.25", "--seed", "3"];
        Run(["dpo", .. common, "--out", P("f32")]);
        Run(["dpo", .. common, "--out", P("bf16"), "--frozen-dtype", "bf16"]);
        double[] f32 = ReferenceLogProbs(P("f32")), bf16 = ReferenceLogProbs(P("bf16"));
        Assert.Equal(f32.Length, bf16.Length);
        Assert.NotEqual(f32, bf16); // the reference really ran in bf16
        for (int i = 0; i < f32.Length; i++)
            Assert.True(Math.Abs(f32[i] - bf16[i]) <= 0.02 * Math.Abs(f32[i]) + 0.05, $"sequence {i}: f32 {f32[i]} vs bf16 {bf16[i]}");
        var (code, _, error) = InProcessCli.Run(["dpo", "--out", P("bf16"), "--resume", "--steps", "3", "--frozen-dtype", "f32"]);
        Assert.NotEqual(0, code);
        Assert.Contains("frozen_dtype", error);
    }

    [Fact]
    public void Ppo_Bf16ReferenceAndRewardModel_RunsWithACriticFromTheRewardModel()
    {
        string policy = Model("policy", 4), rm = Model("rm", 9, reward: true);
        File.WriteAllLines(P("prompts.jsonl"), new[] { "the cat", "the dog", "the sun", "the bird" }.Select(p => JsonSerializer.Serialize(new { prompt = p })));
        Run("ppo", "--policy", policy, "--reward-model", rm, "--heldout-rm", rm, "--prompts", P("prompts.jsonl"), "--out", P("run"), "--batch", "4",
            "--minibatch", "2", "--epochs", "1", "--max-new-tokens", "4", "--iterations", "2", "--critic-from-rm", "--frozen-dtype", "bf16",
            "--grad-checkpoint", "--seed", "3");
        var lines = File.ReadAllLines(P("run/metrics.jsonl"));
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var m = JsonNode.Parse(line)!;
            Assert.True(double.IsFinite(m["kl"]!.GetValue<double>()));
            Assert.True(double.IsFinite(m["proxy_reward"]!.GetValue<double>()));
            Assert.True(double.IsFinite(m["heldout_reward"]!.GetValue<double>()));
        }
        Assert.True(File.Exists(P("run/checkpoint/critic/model.safetensors"))); // the critic trained on a float32 copy of the RM trunk
    }
}
