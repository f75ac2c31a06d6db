using System.Text;
using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Data.Progress;
using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Data.Metrics;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Bench;

/// <summary>
/// <c>rlhf bench ppo</c>: one PPO iteration at the reference size — 64 prompts × 48 new tokens, 4 epochs of
/// minibatch 16, config-B policy, reference, separate critic and reward model (random init: timing only) — split into
/// generation (KV-cache sampling), reward (the RM's forward), reference + values (two no-grad forwards and GAE) and
/// update (policy + critic forward/backward/AdamW). Runs <c>warmup</c> untimed iterations first (JIT, buffer pools) and
/// reports the last iteration. The tokenizer is trained on generated text to exactly the model's vocabulary so that any
/// sampled id decodes.
/// </summary>
public static class PpoBench
{
    /// <summary>Prompts per iteration.</summary>
    public const int Prompts = 64;

    /// <summary>New tokens per response.</summary>
    public const int NewTokens = 48;

    /// <summary>Runs <paramref name="warmup"/> + 1 iterations of config <paramref name="configName"/> (A or B) at the reference size and returns the last one's breakdown.</summary>
    public static PpoRecord Run(string configName, int warmup, TextWriter progress) =>
        Run(ModelBench.Config(configName), configName, Prompts, NewTokens, warmup, progress);

    /// <summary>Runs <paramref name="warmup"/> + 1 iterations of <paramref name="prompts"/> prompts × <paramref name="newTokens"/> tokens on <paramref name="config"/>-sized models.</summary>
    public static PpoRecord Run(GptConfig config, string configName, int prompts, int newTokens, int warmup, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(progress);
        progress.WriteLine($"bench ppo: training a {config.VocabSize}-token tokenizer for the random models...");
        var tokenizer = BpeTrainer.Train(SyntheticText(seed: 1), config.VocabSize);
        if (tokenizer.VocabSize != config.VocabSize) throw new InvalidOperationException($"bench ppo: the tokenizer has {tokenizer.VocabSize} tokens, the model {config.VocabSize}");
        var policy = new Gpt(config, seed: 1);
        var reference = ModelCopy.Of(policy);
        var reward = new RewardModelReward([new RewardModel(new Gpt(config, seed: 2))], tokenizer, "rm:random");
        var rng = new Rng(3);
        string[] words = ["movie", "food", "day", "book", "song", "trip", "game", "class", "park", "city"];
        var promptList = Enumerable.Range(0, prompts).Select(i => new RlPrompt($"tell me about the {words[i % words.Length]} {i}")).ToList();
        string outDir = Directory.CreateTempSubdirectory("rlhf-bench-ppo-").FullName;
        try
        {
            var ppo = new PpoConfig
            {
                OutDir = outDir, MaxSteps = warmup + 1, BatchSize = prompts, MinibatchSize = Math.Min(16, prompts), MaxNewTokens = newTokens, SampleEvery = 0, CheckpointInterval = 0,
            };
            progress.WriteLine($"bench ppo config {configName}: {warmup} warm-up + 1 timed iteration of {prompts} prompts × {newTokens} new tokens, "
                + $"{ppo.Epochs} epochs × minibatch {ppo.MinibatchSize}...");
            new PpoTrainer(ppo, tokenizer, policy, reference, reward, promptList, TextWriter.Null, NullProgress.Instance).Run();
            var last = MetricsReader.Read(Path.Combine(outDir, "metrics.jsonl"))[^1];
            double gen = last.Get("time_generate_s")!.Value, rm = last.Get("time_reward_s")!.Value;
            double refValues = last.Get("time_score_s")!.Value - rm, update = last.Get("time_update_s")!.Value;
            double total = gen + rm + refValues + update;
            int tokens = (int)Math.Round(last.Get("response_length")!.Value * prompts);
            return new PpoRecord("ppo", configName, prompts, newTokens, tokens, R(gen), R(rm), R(refValues), R(update), R(total),
                Math.Round(100 * gen / total, 1), Math.Round(100 * update / total, 1), ppo.Epochs, ppo.MinibatchSize, policy.ParameterCount, Environment.ProcessorCount);
        }
        finally { Directory.Delete(outDir, recursive: true); }

        static double R(double seconds) => Math.Round(seconds, 3);
    }

    /// <summary>Random lower-case "words" from syllables: enough distinct pairs for BPE to reach a 4096-token vocabulary.</summary>
    private static string SyntheticText(ulong seed)
    {
        var rng = new Rng(seed);
        string[] onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "ch", "sh", "th", "st", "pr", "tr"];
        string[] vowels = ["a", "e", "i", "o", "u", "ai", "ea", "oo", "ou", "y"];
        var text = new StringBuilder();
        for (int w = 0; w < 60000; w++)
        {
            int syllables = 1 + rng.NextInt(3);
            for (int s = 0; s < syllables; s++) text.Append(onsets[rng.NextInt(onsets.Length)]).Append(vowels[rng.NextInt(vowels.Length)]);
            text.Append(rng.NextInt(12) == 0 ? ".\n" : " ");
        }
        return text.ToString();
    }
}
