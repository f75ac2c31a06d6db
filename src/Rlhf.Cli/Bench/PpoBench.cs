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
/// <c>rlhf bench ppo</c>: one PPO iteration at the issue's reference size — 64 prompts × 48 new tokens, 4 epochs of
/// minibatch 16, policy, reference, separate critic and reward model all resident (config A, B or G = GPT-2 124M shapes;
/// random init: timing and memory only; the reference and reward model optionally frozen to bf16) — split into
/// generation (KV-cache sampling), reward (the RM's forward), reference + values (two no-grad forwards and GAE) and
/// update (policy + critic forward/backward/AdamW). Runs <c>warmup</c> untimed iterations first (JIT, buffer pools) and
/// reports the last iteration with the process's peak resident set. With <c>loraRank</c> &gt; 0 the policy trains
/// rank-r adapters (α = 2r, every attention and MLP projection) on its frozen base, the reference is that base with the
/// adapters off (no copy) and the critic is a value head on the policy's LoRA trunk (one base carries one adapter set,
/// and a separate trainable critic would need its own f32 weights, gradients and AdamW moments) — what
/// <c>rlhf ppo --lora-r</c> does. The tokenizer has exactly the model's vocabulary so
/// that any sampled id decodes: trained on generated text for A and B, built from synthetic letter merges for G's 50257.
/// </summary>
public static class PpoBench
{
    /// <summary>Prompts per iteration.</summary>
    public const int Prompts = 64;

    /// <summary>New tokens per response.</summary>
    public const int NewTokens = 48;

    /// <summary>Runs <paramref name="warmup"/> + 1 iterations of config <paramref name="configName"/> (A, B, G or a Llama-family preset) at the reference size and returns the last one's breakdown.</summary>
    public static PpoRecord Run(string configName, int warmup, TextWriter progress, Dtype frozenDtype = Dtype.F32, bool gradCheckpoint = false,
        int loraRank = 0, int epochs = 4) =>
        Run(seed => ModelBench.Build(configName, seed), configName, Prompts, NewTokens, warmup, progress, frozenDtype, gradCheckpoint, loraRank, epochs);

    /// <summary>Runs <paramref name="warmup"/> + 1 iterations of <paramref name="prompts"/> prompts × <paramref name="newTokens"/> tokens on <paramref name="config"/>-sized GPT-2 models.</summary>
    public static PpoRecord Run(GptConfig config, string configName, int prompts, int newTokens, int warmup, TextWriter progress,
        Dtype frozenDtype = Dtype.F32, bool gradCheckpoint = false, int loraRank = 0, int epochs = 4)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Run(seed => new Gpt(config, seed), configName, prompts, newTokens, warmup, progress, frozenDtype, gradCheckpoint, loraRank, epochs);
    }

    /// <summary>Runs <paramref name="warmup"/> + 1 iterations on models from <paramref name="build"/> (seed → a random-init model of any family).</summary>
    public static PpoRecord Run(Func<ulong, ICausalLm> build, string configName, int prompts, int newTokens, int warmup, TextWriter progress,
        Dtype frozenDtype = Dtype.F32, bool gradCheckpoint = false, int loraRank = 0, int epochs = 4)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(progress);
        var policy = build(1);
        int vocab = policy.VocabSize;
        progress.WriteLine($"bench ppo: a {vocab}-token tokenizer for the random models...");
        var tokenizer = vocab <= 8192 ? BpeTrainer.Train(SyntheticText(seed: 1), vocab) : SyntheticTokenizer(vocab);
        if (tokenizer.VocabSize != vocab) throw new InvalidOperationException($"bench ppo: the tokenizer has {tokenizer.VocabSize} tokens, the model {vocab}");
        var loraConfig = loraRank > 0 ? new Rlhf.Models.Lora.LoraConfig { Rank = loraRank, Alpha = 2f * loraRank } : null;
        var reference = loraConfig is null ? ModelCopy.Of(policy) : Rlhf.Models.Lora.LoraAdapters.Attach(policy, loraConfig, seed: 4).BaseModel();
        var reward = new RewardModelReward([new RewardModel(build(2))], tokenizer, "rm:random");
        var rng = new Rng(3);
        string[] words = ["movie", "food", "day", "book", "song", "trip", "game", "class", "park", "city"];
        var promptList = Enumerable.Range(0, prompts).Select(i => new RlPrompt($"tell me about the {words[i % words.Length]} {i}")).ToList();
        string outDir = Directory.CreateTempSubdirectory("rlhf-bench-ppo-").FullName;
        try
        {
            var ppo = new PpoConfig
            {
                OutDir = outDir, MaxSteps = warmup + 1, BatchSize = prompts, MinibatchSize = Math.Min(16, prompts), MaxNewTokens = newTokens, SampleEvery = 0, CheckpointInterval = 0,
                FrozenDtype = frozenDtype, GradientCheckpointing = gradCheckpoint, Epochs = epochs, Lora = loraConfig, SharedCritic = loraConfig is not null,
            };
            progress.WriteLine($"bench ppo config {configName}: {warmup} warm-up + 1 timed iteration of {prompts} prompts × {newTokens} new tokens, "
                + $"{ppo.Epochs} epochs × minibatch {ppo.MinibatchSize}, frozen models {Name(frozenDtype)}{(gradCheckpoint ? ", grad checkpoint" : "")}"
                + $"{(loraConfig is null ? "" : $", LoRA r={loraRank} with the critic's head on the policy's trunk")}...");
            new PpoTrainer(ppo, tokenizer, policy, reference, reward, promptList, TextWriter.Null, NullProgress.Instance).Run();
            var last = MetricsReader.Read(Path.Combine(outDir, "metrics.jsonl"))[^1];
            double gen = last.Get("time_generate_s")!.Value, rm = last.Get("time_reward_s")!.Value;
            double refValues = last.Get("time_score_s")!.Value - rm, update = last.Get("time_update_s")!.Value;
            double total = gen + rm + refValues + update;
            int tokens = (int)Math.Round(last.Get("response_length")!.Value * prompts);
            return new PpoRecord("ppo", configName, prompts, newTokens, tokens, R(gen), R(rm), R(refValues), R(update), R(total),
                Math.Round(100 * gen / total, 1), Math.Round(100 * update / total, 1), ppo.Epochs, ppo.MinibatchSize, policy.ParameterCount, Environment.ProcessorCount,
                Name(frozenDtype), gradCheckpoint, MemoryUsage.PeakRssBytes() is long b ? Math.Round(b / (1024.0 * 1024.0), 1) : null, loraRank);
        }
        finally { Directory.Delete(outDir, recursive: true); }

        static double R(double seconds) => Math.Round(seconds, 3);
    }

    private static string Name(Dtype dtype) => dtype == Dtype.BF16 ? "bf16" : "f32";

    /// <summary>
    /// A byte-level tokenizer of exactly <paramref name="vocabSize"/> tokens without training: the 256 bytes, merges of
    /// lower-case letters into every 2- and 3-letter string and then 4-letter strings in order until the vocabulary is
    /// full, and &lt;|endoftext|&gt; last (GPT-2's 50257 = 256 + 50000 merges + 1). Any id decodes; prompts encode.
    /// </summary>
    private static BpeTokenizer SyntheticTokenizer(int vocabSize)
    {
        var bytes = BpeTrainer.Train("ab", 257); // no merges: the 256 byte-level tokens (ids 0..255) and <|endoftext|>
        var tokens = new List<string>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.Add(bytes.IdToToken(b));
        var merges = new List<(string, string)>();
        var level = Enumerable.Range('a', 26).Select(c => ((char)c).ToString()).ToList();
        while (tokens.Count < vocabSize - 1)
        {
            var next = new List<string>();
            foreach (string left in level)
                for (char c = 'a'; c <= 'z' && tokens.Count < vocabSize - 1; c++)
                {
                    merges.Add((left, c.ToString()));
                    tokens.Add(left + c);
                    next.Add(left + c);
                }
            level = next;
        }
        tokens.Add(BpeTokenizer.EndOfTextToken);
        return new BpeTokenizer(tokens, merges, [BpeTokenizer.EndOfTextToken]);
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
