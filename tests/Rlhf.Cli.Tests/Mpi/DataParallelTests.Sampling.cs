using System.Text.Json;
using System.Text.RegularExpressions;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Cli.Tests.Mpi;

/// <summary>
/// The verbs beyond the language-model trainers under <c>mpiexec -n 2</c>: reward-model training (same tolerances as
/// the other trainers: the runs differ only in the order of float32 sums) and the samplers (generate, bon), whose
/// outputs are the one-process outputs byte for byte.
/// </summary>
public sealed partial class DataParallelTests
{
    [MpiFact]
    public void RmTrain_TwoRanksFollowTheOneProcessRun()
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("User: say cat dog sun good 0123456789\nAssistant: good dog\n", 30)), 256 + 16 + 1);
        HfCheckpoint.Save(P("base"), new Gpt(new GptConfig(2, 2, 16, 32, tok.VocabSize), seed: 1), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        string[] w = ["cat", "dog", "sun"];
        var rng = new Rng(5);
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 20).Select(i =>
        {
            string a = w[rng.NextInt(3)], b = w[rng.NextInt(3)];
            return JsonSerializer.Serialize(new { prompt = $"say {i}", chosen = $"{a} good {b}", rejected = $"{a} {b} {w[rng.NextInt(3)]}" });
        }));
        File.WriteAllLines(P("score.jsonl"), [JsonSerializer.Serialize(new { prompt = "say 1", response = "good dog" }), JsonSerializer.Serialize(new { prompt = "say 2", response = "sun cat" })]);
        // batch 3 over 2 ranks: shards of 1 and 2 prompts; 16 training prompts → the 6th batch holds 1 prompt, so one
        // rank has an empty shard at step 6
        string[] rm = ["rm", "train", "--data", P("prefs.jsonl"), "--init", P("base"), "--batch", "3", "--lr", "3e-3", "--warmup", "1",
            "--eval-fraction", "0.2", "--eval-interval", "3", "--center", "--steps", "7"];
        Ok(InProcessCli.Run([.. rm, "--out", P("one")]));
        var two = MpiRun.Run(2, [.. rm, "--out", P("two")], Timeout);
        Ok(two);
        Assert.Single(Regex.Matches(two.Out, "rm done")); // only rank 0 prints
        AssertSameCurve(P("one"), P("two"), "loss", "accuracy", "grad_norm", "eval_loss", "eval_accuracy");
        AssertCloseWeights(P("one/checkpoint"), P("two/checkpoint"));
        // the whole reward model (trunk, score head, normalisation) scores alike
        var scoreOne = InProcessCli.Run("rm", "score", "--model", P("one"), "--data", P("score.jsonl"));
        var scoreTwo = InProcessCli.Run("rm", "score", "--model", P("two"), "--data", P("score.jsonl"));
        Ok(scoreOne);
        Ok(scoreTwo);
        var a = scoreOne.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(double.Parse).ToArray();
        var b = scoreTwo.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(double.Parse).ToArray();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-3, $"score {i}: {a[i]} vs {b[i]}");
    }

    [MpiFact]
    public void Generate_TwoRanksWriteTheOneProcessSamples()
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("User: say something nice\nAssistant: good great happy sun. ", 20)), 270);
        HfCheckpoint.Save(P("policy"), new Gpt(new GptConfig(1, 2, 16, 48, tok.VocabSize), seed: 2), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        File.WriteAllLines(P("prompts.jsonl"), new[] { "say something", "be nice", "hello", "good", "the sun is" }.Select(t => JsonSerializer.Serialize(new { prompt = t })));
        // 5 prompts × 2 samples in batches of 3 rows: 4 batches, 2 per rank; the second rank starts at row 6 (mid-prompt)
        string[] gen = ["generate", "--model", P("policy"), "--prompts", P("prompts.jsonl"), "--max-new-tokens", "8", "--seed", "7", "--batch", "3"];
        Ok(InProcessCli.Run([.. gen, "--samples", "2", "--out", P("one.jsonl")]));
        var two = MpiRun.Run(2, [.. gen, "--samples", "2", "--out", P("two.jsonl")], Timeout);
        Ok(two);
        Assert.Single(Regex.Matches(two.Out, "generate: ")); // only rank 0 prints
        Assert.True(File.ReadAllLines(P("one.jsonl")).Length >= 3, "too few prompts kept to compare");
        Assert.Equal(File.ReadAllText(P("one.jsonl")), File.ReadAllText(P("two.jsonl")));
        // one sample per prompt, printed as JSON (token ids and log-probabilities): 2 batches, one per rank
        var jsonOne = InProcessCli.Run([.. gen, "--json"]);
        Ok(jsonOne);
        var jsonTwo = MpiRun.Run(2, [.. gen, "--json"], Timeout);
        Ok(jsonTwo);
        Assert.Equal(5, jsonOne.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(jsonOne.Out.ReplaceLineEndings(), jsonTwo.Out.ReplaceLineEndings());
    }

    [MpiFact]
    public void Bon_TwoRanksWriteTheOneProcessResults()
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("User: say something nice\nAssistant: good great happy sun. ", 20)), 270);
        HfCheckpoint.Save(P("policy"), new Gpt(new GptConfig(1, 2, 16, 48, tok.VocabSize), seed: 2), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        new RewardModel(new Gpt(new GptConfig(1, 2, 16, 48, tok.VocabSize), seed: 10), seed: 20).Save(P("rm"), tok.EndOfTextId);
        tok.Save(P("rm"));
        File.WriteAllLines(P("prompts.jsonl"), new[] { "say something", "be nice", "hello" }.Select(t => JsonSerializer.Serialize(new { prompt = t })));
        string[] bon = ["bon", "--policy", P("policy"), "--reward-model", P("rm"), "--prompts", P("prompts.jsonl"), "--max-new-tokens", "6", "--n", "4",
            "--gold", "lexicon", "--curve", "--seed", "3"];
        Ok(InProcessCli.Run([.. bon, "--out", P("one"), "--write-sft", P("one-sft.jsonl")]));
        var two = MpiRun.Run(2, [.. bon, "--out", P("two"), "--write-sft", P("two-sft.jsonl")], Timeout);
        Ok(two);
        Assert.Single(Regex.Matches(two.Out, "bon: ")); // only rank 0 prints
        // prompts 0 | 1–2 over the ranks: each sample drawn with its one-process seed, so the files are the same
        Assert.Equal(File.ReadAllText(P("one/best.jsonl")), File.ReadAllText(P("two/best.jsonl")));
        Assert.Equal(File.ReadAllText(P("one-sft.jsonl")), File.ReadAllText(P("two-sft.jsonl")));
        Assert.Equal(File.ReadAllText(P("one/curve.json")), File.ReadAllText(P("two/curve.json")));
        Assert.Equal(File.ReadAllText(P("one/summary.json")).Replace(P("one"), P("two")).Replace("one-sft", "two-sft"), File.ReadAllText(P("two/summary.json")));
    }

    [MpiFact]
    public void Ppo_TwoRanksSampleTheOneProcessRolloutsAndFollowItsCurve()
    {
        string text = string.Concat(Enumerable.Repeat("the movie was great and fun.\nthe food was bad and cold.\nwhat a lovely day.\n", 20));
        var tok = BpeTrainer.Train(text, 290);
        HfCheckpoint.Save(P("policy"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("policy"));
        new RewardModel(new Gpt(new GptConfig(2, 2, 16, 64, tok.VocabSize), seed: 9)).Save(P("rm"), tok.EndOfTextId);
        tok.Save(P("rm"));
        File.WriteAllLines(P("prompts.jsonl"), new[] { "how was the movie?", "how was the food?", "tell me about the day.", "what a day" }.Select(t => JsonSerializer.Serialize(new { prompt = t })));
        string[] ppo = ["ppo", "--policy", P("policy"), "--reward-model", P("rm"), "--prompts", P("prompts.jsonl"), "--batch", "4", "--minibatch", "3",
            "--epochs", "2", "--max-new-tokens", "5", "--gold", "lexicon", "--sample-every", "1", "--iterations", "3"];
        Ok(InProcessCli.Run([.. ppo, "--out", P("one")]));
        var two = MpiRun.Run(2, [.. ppo, "--out", P("two")], Timeout);
        Ok(two);
        Assert.Single(Regex.Matches(two.Out, "ppo done")); // only rank 0 prints
        // minibatches of 3 and 1 rows: shards of 1 | 2 rows and, for the single row, an empty shard on rank 0.
        // iteration 1: the same policy sampled the same tokens with the same seeds (prompts 0–1 | 2–3 over the ranks)
        var one1 = Rlhf.Data.Metrics.MetricsReader.Read(P("one/metrics.jsonl")).Single(e => e.Step == 1);
        var two1 = Rlhf.Data.Metrics.MetricsReader.Read(P("two/metrics.jsonl")).Single(e => e.Step == 1);
        foreach (string name in new[] { "reward", "gold_reward", "response_length", "repetition_rate", "truncated_frac" })
            if (one1.Get(name) is { } expected) Assert.Equal(expected, two1.Get(name));
        Assert.Equal(File.ReadAllLines(P("one/samples.jsonl")).First(), File.ReadAllLines(P("two/samples.jsonl")).First());
        AssertSameCurve(P("one"), P("two"), "reward", "kl", "policy_loss", "value_loss", "grad_norm");
        AssertCloseWeights(P("one/checkpoint"), P("two/checkpoint"));
        Assert.Equal(StateRng(P("one")), StateRng(P("two"))); // the generator ends where one process leaves it
    }

    private static string StateRng(string run) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint", "trainer_state.json"))).RootElement.GetProperty("rng").GetRawText();
}
