using System.Diagnostics;
using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Tensors;
using Rlhf.Tensors.Autograd;
using Rlhf.Tensors.Optim;

namespace Rlhf.Cli.Bench;

/// <summary>
/// The model workloads of <c>rlhf bench train|generate</c> (GPT-2 configs A, B, G and the Llama-family presets), defined
/// exactly as the PyTorch peers (benchmarks/peer/gpt_torch.py, llama_torch.py) define them, so tokens/s can be compared
/// as a ratio:
/// <list type="bullet">
/// <item>train: batch 8 × T random tokens, forward, cross-entropy over all positions, backward, AdamW
/// (lr 3e-4, wd 0.1, β 0.9/0.95), zero_grad; tokens/s = B·T / step time, median after <see cref="WarmupSteps"/> warm-up steps.</item>
/// <item>forward: the same forward + logits without autograd.</item>
/// <item>generate: batch 8, 64-token random prompt, 64 new tokens, multinomial sampling at temperature 1 with the KV
/// cache; tokens/s = 8·64 / (prefill + decode time).</item>
/// </list>
/// </summary>
public static class ModelBench
{
    public const int Batch = 8;

    /// <summary>
    /// Untimed training steps first: the engine reaches steady state after a few steps (gradient buffers recycled,
    /// GC heap grown to the step's working set), and a training run lives in that state.
    /// </summary>
    public const int WarmupSteps = 5;

    /// <summary>Config A, B or G (GPT-2 124M shapes) by name.</summary>
    public static GptConfig Config(string name) => name.ToUpperInvariant() switch
    {
        "A" => GptConfig.A,
        "B" => GptConfig.B,
        "G" => Gpt2Small,
        _ => throw new ArgumentException($"unknown config '{name}': expected A, B or G"),
    };

    /// <summary>GPT-2 124M (HF <c>gpt2</c>): 12 layers, 12 heads, d 768, 1024 positions, vocabulary 50257.</summary>
    public static GptConfig Gpt2Small => new(12, 12, 768, 1024, 50257);

    /// <summary>The <c>--preset</c> names: GPT-2 124M, the Llama-family presets of <see cref="LlamaPresets"/>, and a tiny Llama for tests.</summary>
    public static IReadOnlyList<string> Presets => ["gpt2-124m", "smollm2-135m", "qwen2.5-0.5b", "llama-tiny"];

    /// <summary>The config name a <c>--preset</c> stands for: G for gpt2-124m, the preset's own name for a Llama-family preset.</summary>
    public static string PresetConfig(string preset) => preset.ToLowerInvariant() switch
    {
        "gpt2-124m" => "G",
        var p when Presets.Contains(p) => p,
        _ => throw new ArgumentException($"unknown preset '{preset}': expected one of {string.Join(", ", Presets)}"),
    };

    /// <summary>Whether <paramref name="config"/> names a Llama-family preset rather than a GPT-2 config.</summary>
    public static bool IsLlama(string config) => config.Contains('-');

    /// <summary>A randomly initialised model of <paramref name="config"/> (A, B, G, or a Llama-family preset).</summary>
    public static ICausalLm Build(string config, ulong seed = 1) => IsLlama(config)
        ? new Llama(LlamaPresets.Get(config == "llama-tiny" ? "tiny" : config), seed)
        : new Gpt(Config(config), seed);

    /// <summary>Parameter count of <paramref name="config"/> (a tied LM head counted once).</summary>
    public static long ParameterCount(string config) => IsLlama(config)
        ? LlamaPresets.Get(config == "llama-tiny" ? "tiny" : config).ParameterCount
        : new Gpt(Config(config)).ParameterCount;

    /// <summary>
    /// Training batch × sequence length of a config: batch 8 × n_positions for A and B, 4 × 256 for G and the real-size
    /// Llama presets, 8 × 64 for llama-tiny.
    /// </summary>
    public static (int Batch, int Time) TrainShape(string config) => config.ToUpperInvariant() switch
    {
        "G" => (4, 256),
        "LLAMA-TINY" => (Batch, 64),
        _ when IsLlama(config) => (4, 256),
        _ => (Batch, Config(config).NPositions),
    };

    /// <summary>
    /// Median training tokens/s over <paramref name="steps"/> timed steps after <paramref name="warmup"/> warm-up steps,
    /// with the memory breakdown of the last step. <paramref name="fusedHead"/>: LM head + cross-entropy as one op
    /// (<see cref="Gpt.LanguageModelLoss"/>) instead of logits then <see cref="Ops.CrossEntropy"/>.
    /// </summary>
    /// <paramref name="loraRank"/> &gt; 0: LoRA fine-tuning instead (rank-r adapters, α = 2r, on every attention and
    /// MLP projection; the base frozen, AdamW over the adapters only).
    public static TrainResult Train(string config, int batch, int T, int steps, int warmup = WarmupSteps,
        bool gradCheckpoint = false, bool fusedHead = true, int loraRank = 0)
    {
        var model = Build(config);
        model.GradientCheckpointing = gradCheckpoint;
        var lora = loraRank > 0 ? Rlhf.Models.Lora.LoraAdapters.Attach(model, new Rlhf.Models.Lora.LoraConfig { Rank = loraRank, Alpha = 2f * loraRank }, seed: 3) : null;
        var trainable = lora?.Parameters() ?? model.Parameters();
        var optimizer = new AdamW(trainable, new AdamWConfig(LearningRate: 3e-4f, WeightDecay: 0.1f));
        var (ids, targets) = RandomBatch(model.VocabSize, batch, T, seed: 2);
        var times = new List<double>();
        long graphBytes = 0;
        double optimizerMs = 0;
        for (int s = 0; s < steps + warmup; s++)
        {
            var sw = Stopwatch.StartNew();
            optimizer.ZeroGrad();
            var hidden = model.Forward(ids, batch, T);
            var loss = fusedHead ? model.LanguageModelLoss(hidden, targets) : Ops.CrossEntropy(model.Logits(hidden), targets);
            hidden = null;
            if (s == steps + warmup - 1)
            {
                sw.Stop();
                graphBytes = loss.GraphStorageBytes(); // not timed: walks the graph
                sw.Start();
            }
            loss.Backward();
            double beforeStep = sw.Elapsed.TotalMilliseconds;
            optimizer.Step();
            if (s >= warmup) optimizerMs += sw.Elapsed.TotalMilliseconds - beforeStep;
            if (s >= warmup) times.Add(sw.Elapsed.TotalSeconds);
            OpProfiler.Mark(); // the next step's first op does not count the optimizer
            if (s == warmup - 1 && OpProfiler.Enabled) OpProfiler.Report(); // drop the warm-up's timings
        }
        string? profile = OpProfiler.Enabled ? OpProfiler.Report() + Environment.NewLine + $"{"AdamW.Step",-22} total {optimizerMs,9:F1} ms" : null;
        double median = Median(times);
        long weights = (model.Parameters().Sum(p => (long)p.Size) + (lora?.ParameterCount ?? 0)) * sizeof(float);
        long grads = trainable.Sum(p => (long)(p.Grad?.Size ?? 0)) * sizeof(float);
        long moments = 2 * trainable.Sum(p => (long)p.Size) * sizeof(float);
        var memory = new MemoryBreakdown(Mb(weights), Mb(grads), Mb(moments), Mb(graphBytes),
            Mb(MemoryUsage.PooledGradientBytes), Mb(GC.GetGCMemoryInfo().HeapSizeBytes), Mb(MemoryUsage.PeakRssBytes() ?? 0));
        GC.KeepAlive(optimizer);
        return new TrainResult(batch * T / median, median * 1e3, memory, profile, model.ParameterCount, trainable.Sum(p => (long)p.Size));
    }

    private static double Mb(long bytes) => Math.Round(bytes / (1024.0 * 1024.0), 1);

    /// <summary>Median forward-only (no autograd) tokens/s.</summary>
    public static double Forward(string config, int batch, int T, int repeats)
    {
        var model = Build(config);
        var (ids, _) = RandomBatch(model.VocabSize, batch, T, seed: 2);
        var times = new List<double>();
        using var noGrad = Tensor.NoGrad();
        for (int s = 0; s < repeats + 2; s++)
        {
            var sw = Stopwatch.StartNew();
            model.Logits(model.Forward(ids, batch, T));
            if (s >= 2) times.Add(sw.Elapsed.TotalSeconds);
        }
        return batch * T / Median(times);
    }

    /// <summary>Median generation tokens/s (8 × 64 new tokens after a 64-token prompt).</summary>
    public static double Generate(string config, int repeats, int promptTokens = 64, int newTokens = 64)
    {
        var model = Build(config);
        var rng = new Rng(3);
        var prompts = new int[Batch][];
        for (int b = 0; b < Batch; b++)
        {
            prompts[b] = new int[promptTokens];
            for (int t = 0; t < promptTokens; t++) prompts[b][t] = rng.NextInt(model.VocabSize);
        }
        // no end-of-text stop: every row produces all new tokens, as in the peer
        var generation = new GenerationConfig(MaxNewTokens: newTokens, Temperature: 1f, StopAtEndOfText: false);
        var times = new List<double>();
        for (int s = 0; s < repeats + 1; s++)
        {
            var sw = Stopwatch.StartNew();
            Generator.Generate(model, prompts, endOfTextId: 0, generation, rng);
            if (s >= 1) times.Add(sw.Elapsed.TotalSeconds);
        }
        return Batch * newTokens / Median(times);
    }

    private static (int[] Ids, int[] Targets) RandomBatch(int vocabSize, int batch, int T, ulong seed)
    {
        var rng = new Rng(seed);
        var ids = new int[batch * T];
        var targets = new int[batch * T];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = rng.NextInt(vocabSize);
            targets[i] = rng.NextInt(vocabSize);
        }
        return (ids, targets);
    }

    internal static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }
}
