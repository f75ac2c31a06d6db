using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Rlhf.Tensors.Kernels;
using Spectre.Console;

namespace Rlhf.Cli.Bench;

/// <summary>
/// <c>rlhf bench peak</c> and <c>rlhf bench gemm</c>: throughput of this machine's FMA units and of our GEMM, as a
/// Spectre table or (<c>--json</c>) one JSON object per line on stdout. Progress notes go to stderr.
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the <c>bench</c> command with its <c>peak</c> and <c>gemm</c> verbs.</summary>
    public static Command Create()
    {
        var bench = new Command("bench", "Measure compute throughput on this machine (GFLOP/s). Compare ratios within one run, not absolute numbers across machines.");
        bench.Add(CreatePeak());
        bench.Add(CreateGemm());
        bench.Add(CreateModel("train", "Time training steps (forward, cross-entropy, backward, AdamW) of a GPT-2 config or a Llama-family preset on random tokens: median tokens/s. Also prints forward-only tokens/s."));
        bench.Add(CreateModel("generate", "Time KV-cache generation: batch 8, 64-token random prompt, 64 new tokens, multinomial sampling: tokens/s."));
        bench.Add(CreatePpo());
        bench.Add(FrozenBench.Create());
        bench.Add(TokenizerBench.Create());
        return bench;
    }

    private static Option<bool> JsonOption() =>
        new("--json") { Description = "Print one JSON object per line (machine-readable) instead of a table." };

    private static Option<bool> ProfileOption() =>
        new("--profile") { Description = "Time every op (forward and backward) during the run and print the per-op totals on stderr (slows the run down)." };

    private static Option<int> ThreadsOption()
    {
        var threads = new Option<int>("--threads")
        {
            Description = "Threads to use; the default is one per logical core.",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        return Require(threads, t => t >= 1, "--threads must be at least 1.");
    }

    private static Command CreatePeak()
    {
        var json = JsonOption();
        var threads = ThreadsOption();
        var seconds = new Option<double>("--seconds")
        {
            Description = "How long to run the FMA loop, in seconds.",
            DefaultValueFactory = _ => 1.0,
        };
        Require(seconds, s => s > 0 && s <= 600, "--seconds must be in (0, 600].");
        var peak = new Command("peak", "Measure the FMA peak: a register-only loop of 12 independent fused multiply-adds on every core at once (Vector512 if native, else Vector256+FMA, else scalar). This is the ceiling for any fp32 GEMM here.")
        {
            json, seconds, threads,
        };
        peak.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var result = FmaPeak.Measure(TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(threads));
            var record = ToRecord(result);
            if (parse.GetValue(json))
            {
                output.WriteLine(BenchJson.Line(record));
                return 0;
            }
            var table = new Table().Title("FMA peak (fp32)")
                .AddColumns("GFLOP/s (all cores)", "GFLOP/s per core", "Vector width", "Cores", "Seconds");
            table.AddRow(F(record.Gflops), F(record.GflopsPerCore), $"{record.Width} bit", $"{record.Cores}", F(record.Seconds, "0.00"));
            Console(output).Write(table);
            return 0;
        });
        return peak;
    }

    private static Command CreateGemm()
    {
        var json = JsonOption();
        var threads = ThreadsOption();
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed runs per shape, after warm-up (at least 2 runs and 0.2 s); the median is reported.",
            DefaultValueFactory = _ => 7,
        };
        Require(repeats, r => r >= 1, "--repeats must be at least 1.");
        var peakOption = new Option<double?>("--peak")
        {
            Description = "Peak GFLOP/s (all threads) to express results against; default: measure it for 1 s first (as `rlhf bench peak`).",
        };
        Require(peakOption, p => p is > 0 && double.IsFinite(p.Value), "--peak must be a positive number of GFLOP/s.");
        var shapes = new Option<GemmCase[]>("--shape")
        {
            Description = "Shape to run as MxKxN[:VV], VV = NN (A·B), NT (A·Bᵀ), TN (Aᵀ·B) or TT; repeatable.",
            DefaultValueFactory = _ => [.. GemmCase.Standard],
            CustomParser = ParseShapes,
            AllowMultipleArgumentsPerToken = false,
        };
        var gemm = new Command("gemm", "Time our fp32 GEMM (C = op(A)·op(B), row-major) on GPT-sized shapes: median GFLOP/s of N runs and % of the measured FMA peak.")
        {
            json, repeats, peakOption, threads, shapes,
        };
        gemm.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            int nThreads = parse.GetValue(threads), nRepeats = parse.GetValue(repeats);
            bool asJson = parse.GetValue(json);
            double peak;
            if (parse.GetValue(peakOption) is double given) peak = given;
            else
            {
                error.WriteLine($"measuring FMA peak on {nThreads} threads for 1 s...");
                var measured = FmaPeak.Measure(TimeSpan.FromSeconds(1), nThreads);
                if (asJson) output.WriteLine(BenchJson.Line(ToRecord(measured)));
                peak = measured.Gflops;
            }

            var rows = new List<GemmRecord>();
            int saved = Gemm.MaxThreads;
            Gemm.MaxThreads = nThreads;
            try
            {
                foreach (var c in parse.GetValue(shapes)!)
                {
                    error.WriteLine($"gemm {c.Shape}:{c.Variant} ({c.Formula}), {nRepeats} repeats...");
                    double seconds = GemmBench.MedianSeconds(c, nRepeats);
                    double gflops = GemmBench.Gflops(c.Flops, seconds);
                    var row = new GemmRecord("gemm", "rlhf", c.Shape, c.Variant, Math.Round(gflops, 2), Math.Round(100 * gflops / peak, 1),
                        Math.Round(seconds * 1e3, 3), nRepeats, Gemm.NativeKernel.ToString(), nThreads);
                    if (asJson) output.WriteLine(BenchJson.Line(row));
                    rows.Add(row);
                }
            }
            finally { Gemm.MaxThreads = saved; }
            if (asJson) return 0;

            var table = new Table()
                .Title($"GEMM fp32: {Gemm.NativeKernel} kernel, {nThreads} threads, median of {nRepeats}")
                .Caption($"% of peak: against {F(peak)} GFLOP/s FMA peak on {nThreads} threads")
                .AddColumns("M×K×N", "Variant", "Median ms", "GFLOP/s", "% of peak");
            foreach (var r in rows)
                table.AddRow(r.Shape.Replace('x', '×'), $"{r.Variant} ({Formula(r.Variant)})",
                    F(r.MedianMs, "0.00"), F(r.Gflops), F(r.PctOfPeak));
            Console(output).Write(table);
            return 0;
        });
        return gemm;
    }

    private static Command CreateModel(string name, string description)
    {
        var json = JsonOption();
        var config = new Option<string>("--config")
        {
            Description = "Model config: A (6 layers, d=384, T=256, vocab 8192), B (4 layers, d=256, T=128, vocab 4096) or G (GPT-2 124M shapes, trained at batch 4 × 256).",
            DefaultValueFactory = _ => "A",
        };
        config.AcceptOnlyFromAmong("A", "B", "G", "a", "b", "g");
        var preset = new Option<string?>("--preset") { Description = "A named model instead of --config (random weights): gpt2-124m (= config G), smollm2-135m or qwen2.5-0.5b (Llama-family shapes, trained at batch 4 × 256), llama-tiny (for tests)." };
        preset.AcceptOnlyFromAmong([.. ModelBench.Presets]);
        var repeats = new Option<int?>("--repeats") { Description = "Timed steps (train) or runs (generate) after warm-up; the median is reported (default 10; 3 for G and the real-size presets)." };
        var batchOption = new Option<int?>("--batch") { Description = "Training batch size instead of the config's (8; 4 for G and the real-size presets)." };
        Require(batchOption, b => b is null or >= 1, "--batch must be at least 1.");
        var seqOption = new Option<int?>("--seq") { Description = "Training sequence length instead of the config's (n_positions; 256 for G and the real-size presets)." };
        Require(seqOption, t => t is null or >= 2, "--seq must be at least 2.");
        var trainOnly = new Option<bool>("--train-only") { Description = "Skip the forward-only pass after training (saves time at real size)." };
        Require(repeats, r => r is null or >= 1, "--repeats must be at least 1.");
        var warmup = new Option<int?>("--warmup") { Description = $"Untimed training steps first (default {ModelBench.WarmupSteps}; 2 for G and the real-size presets)." };
        Require(warmup, w => w is null or >= 0, "--warmup must be ≥ 0.");
        var gradCheckpoint = new Option<bool>("--grad-checkpoint") { Description = "Train with activation checkpointing per block (recompute each block's activations in backward)." };
        var unfused = new Option<bool>("--unfused-head") { Description = "Train with logits then cross-entropy (full positions × vocabulary logits) instead of the fused LM-head loss." };
        var loraR = new Option<int>("--lora-r") { Description = "Train LoRA adapters of this rank (alpha 2r, all attention and MLP projections) on the frozen model instead of all weights (0 = full training).", DefaultValueFactory = _ => 0 };
        Require(loraR, r => r >= 0, "--lora-r must be ≥ 0.");
        var profile = ProfileOption();
        var command = new Command(name, description) { json, config, preset, repeats, profile };
        if (name == "train") { command.Add(warmup); command.Add(gradCheckpoint); command.Add(unfused); command.Add(loraR); command.Add(batchOption); command.Add(seqOption); command.Add(trainOnly); }
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string configName = parse.GetValue(preset) is string p ? ModelBench.PresetConfig(p) : parse.GetValue(config)!.ToUpperInvariant();
            bool big = configName == "G" || (ModelBench.IsLlama(configName) && configName != "llama-tiny");
            long parameters = ModelBench.ParameterCount(configName);
            int n = parse.GetValue(repeats) ?? (big ? 3 : 10), threads = Environment.ProcessorCount;
            var (batch, T) = ModelBench.TrainShape(configName);
            batch = parse.GetValue(batchOption) ?? batch;
            T = parse.GetValue(seqOption) ?? T;
            var records = ProfiledRun.Run(parse.GetValue(profile), error, () => ModelRecords(name, configName, batch, T, n, parameters, threads, parse.GetValue(warmup) ?? (big ? 2 : ModelBench.WarmupSteps), parse.GetValue(gradCheckpoint), !parse.GetValue(unfused), parse.GetValue(loraR), parse.GetValue(trainOnly), error));
            if (parse.GetValue(json))
            {
                foreach (var r in records) output.WriteLine(BenchJson.Line(r));
                return 0;
            }
            var table = new Table().Title($"{(ModelBench.IsLlama(configName) ? "Preset" : "GPT config")} {configName} ({parameters:N0} parameters), {threads} threads")
                .AddColumns("Bench", "Batch × T", "Tokens/s", "ms/step", "Peak RSS (MiB)");
            foreach (var r in records)
                table.AddRow(r.Bench, r.Batch is int bb ? $"{bb} × {r.Seq?.ToString(CultureInfo.InvariantCulture) ?? "-"}" : "", F(r.TokensPerS),
                    r.MsPerStep is double m ? F(m) : "", r.PeakRssMb is double rss ? F(rss, "0") : "");
            Console(output).Write(table);
            if (records[0].Memory is { } mem)
            {
                var breakdown = new Table().Title("Training memory (MiB)").AddColumns("Part", "MiB");
                breakdown.AddRow("weights", F(mem.WeightsMb, "0"));
                breakdown.AddRow("gradients", F(mem.GradsMb, "0"));
                breakdown.AddRow("optimizer (AdamW moments)", F(mem.OptimizerMb, "0"));
                breakdown.AddRow("activations held for backward", F(mem.ActivationsMb, "0"));
                breakdown.AddRow("idle pooled gradient buffers", F(mem.GradPoolMb, "0"));
                breakdown.AddRow("other (runtime, transients, uncollected heap)", F(mem.OtherMb, "0"));
                breakdown.AddRow("peak resident set", F(mem.PeakRssMb, "0"));
                Console(output).Write(breakdown);
            }
            return 0;
        });
        return command;
    }

    /// <summary>The records of bench <paramref name="name"/> (train: train + forward; generate), with progress lines on <paramref name="error"/>.</summary>
    private static List<ModelRecord> ModelRecords(string name, string configName, int batch, int T, int n, long parameters, int threads,
        int w, bool checkpoint, bool fused, int loraRank, bool trainOnly, TextWriter error)
    {
        var records = new List<ModelRecord>();
        if (name == "train")
        {
            error.WriteLine($"bench train config {configName}, batch {batch} × {T}{(checkpoint ? ", grad checkpoint" : "")}{(loraRank > 0 ? $", LoRA r {loraRank}" : "")}: {n} steps after {w} warm-up...");
            var r = ModelBench.Train(configName, batch, T, n, w, checkpoint, fusedHead: fused, loraRank: loraRank);
            if (r.Profile is not null) error.WriteLine($"per-op time over the {n} timed steps (RLHF_PROFILE=1):{Environment.NewLine}{r.Profile}");
            records.Add(new ModelRecord("train", configName, Math.Round(r.TokensPerSecond, 1), "rlhf", Math.Round(r.MsPerStep, 1), parameters, threads,
                batch, T, r.Memory.PeakRssMb, checkpoint, r.Memory, loraRank > 0 ? loraRank : null, r.TrainableParams));
            if (trainOnly) return records;
            error.WriteLine($"bench forward config {configName}...");
            GC.Collect(); // the training model and its optimizer are garbage now
            records.Add(new ModelRecord("forward", configName, Math.Round(ModelBench.Forward(configName, batch, T, n), 1), "rlhf", null, parameters, threads,
                batch, T, PeakRssMb()));
        }
        else
        {
            error.WriteLine($"bench generate config {configName}: {n} runs after 1 warm-up...");
            records.Add(new ModelRecord("generate", configName, Math.Round(ModelBench.Generate(configName, n), 1), "rlhf", null, parameters, threads,
                ModelBench.Batch, null, PeakRssMb()));
        }
        return records;
    }

    private static double? PeakRssMb() => Rlhf.Tensors.MemoryUsage.PeakRssBytes() is long b ? Math.Round(b / (1024.0 * 1024.0), 1) : null;

    private static Command CreatePpo()
    {
        var json = JsonOption();
        var config = new Option<string>("--config") { Description = "Model config of policy, reference, critic and reward model: A, B or G (GPT-2 124M shapes).", DefaultValueFactory = _ => "B" };
        config.AcceptOnlyFromAmong("A", "B", "G", "a", "b", "g");
        var preset = new Option<string?>("--preset") { Description = "A named model instead of --config: gpt2-124m (= config G), smollm2-135m, qwen2.5-0.5b, llama-tiny (Llama-family shapes, random weights)." };
        preset.AcceptOnlyFromAmong([.. ModelBench.Presets]);
        var warmup = new Option<int?>("--warmup") { Description = "Untimed PPO iterations before the timed one (default 1; 0 for G)." };
        Require(warmup, w => w is null or >= 0, "--warmup must be ≥ 0.");
        var frozenDtype = Commands.TrainingOptions.CreateFrozenDtype();
        var gradCheckpoint = Commands.TrainingOptions.CreateGradCheckpoint();
        var loraR = new Option<int>("--lora-r") { Description = "Train LoRA adapters of this rank (alpha 2r, all attention and MLP projections) on the frozen policy; the reference is its base view and the critic a value head on its trunk (0 = full training, separate critic).", DefaultValueFactory = _ => 0 };
        Require(loraR, r => r >= 0, "--lora-r must be ≥ 0.");
        var ppoEpochs = new Option<int>("--ppo-epochs") { Description = "PPO epochs over the iteration's rollouts (peak memory per minibatch does not depend on it).", DefaultValueFactory = _ => 4 };
        Require(ppoEpochs, e => e >= 1, "--ppo-epochs must be ≥ 1.");
        var profile = ProfileOption();
        var command = new Command("ppo", $"Time one PPO iteration ({PpoBench.Prompts} prompts × {PpoBench.NewTokens} new tokens, 4 epochs × minibatch 16, random-init models) "
            + "split into generation, reward model, reference + values, and update, with the peak resident set.") { json, config, preset, warmup, frozenDtype, gradCheckpoint, loraR, ppoEpochs, profile };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            string name = parse.GetValue(preset) is string p ? ModelBench.PresetConfig(p) : parse.GetValue(config)!.ToUpperInvariant();
            var error = parse.InvocationConfiguration.Error;
            int w = parse.GetValue(warmup) ?? (name == "G" || (ModelBench.IsLlama(name) && name != "llama-tiny") ? 0 : 1);
            var frozen = Commands.TrainingOptions.ParseDtype(parse.GetValue(frozenDtype)!);
            var r = ProfiledRun.Run(parse.GetValue(profile), error, () => PpoBench.Run(name, w, error, frozen, parse.GetValue(gradCheckpoint), parse.GetValue(loraR), parse.GetValue(ppoEpochs)));
            if (parse.GetValue(json))
            {
                output.WriteLine(BenchJson.Line(r));
                return 0;
            }
            var table = new Table().Title($"PPO iteration, config {name} ({r.Params:N0} parameters per model, frozen models {r.FrozenDtype}{(r.LoraR > 0 ? $", LoRA r={r.LoraR}, critic head on the policy's trunk" : "")}), {r.Prompts} prompts × ≤ {r.MaxNewTokens} tokens ({r.GeneratedTokens} generated), {r.Threads} threads, peak RSS {r.PeakRssMb?.ToString("0", CultureInfo.InvariantCulture) ?? "?"} MiB")
                .AddColumns("Phase", "Seconds", "% of iteration");
            void Row(string phase, double s) => table.AddRow(phase, F(s, "0.00"), F(100 * s / r.TotalS));
            Row("generation (KV cache)", r.GenerateS);
            Row("reward model", r.RewardS);
            Row("reference log-probs + values + GAE", r.ReferenceValueS);
            Row($"update ({r.Epochs} epochs × minibatch {r.Minibatch}, policy + critic)", r.UpdateS);
            Row("total", r.TotalS);
            Console(output).Write(table);
            return 0;
        });
        return command;
    }

    /// <summary>Adds a range check to <paramref name="option"/>; values that do not even convert are left to the parser's own error.</summary>
    private static Option<T> Require<T>(Option<T> option, Func<T, bool> valid, string message)
    {
        option.Validators.Add(r =>
        {
            T value;
            try { value = r.GetValueOrDefault<T>()!; }
            catch (InvalidOperationException) { return; } // e.g. "many" for an int: the parser already reports it
            if (!valid(value)) r.AddError(message);
        });
        return option;
    }

    private static GemmCase[] ParseShapes(ArgumentResult result)
    {
        var cases = new List<GemmCase>();
        foreach (var token in result.Tokens)
        {
            var c = GemmCase.TryParse(token.Value, out var message);
            if (c is null) result.AddError($"--shape: {message}");
            else cases.Add(c);
        }
        return [.. cases];
    }

    private static string Formula(string variant) => $"A{(variant[0] == 'T' ? "ᵀ" : "")}·B{(variant[1] == 'T' ? "ᵀ" : "")}";

    private static PeakRecord ToRecord(FmaPeakResult r) =>
        new("peak", "rlhf", Math.Round(r.Gflops, 2), Math.Round(r.GflopsPerCore, 2), r.Width, r.Cores, Math.Round(r.Seconds, 3));

    private static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);

    // tables go to the invocation's output writer, so tests (and redirection) see them like JSON lines
    private static IAnsiConsole Console(TextWriter output) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(output),
        Ansi = output == System.Console.Out && !System.Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
    });
}
