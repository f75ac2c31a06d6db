using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Rlhf.Models;
using Rlhf.Tensors;

namespace Rlhf.Cli.Bench;

/// <summary>
/// <c>rlhf bench frozen</c>: the forward of a frozen model (hidden states + logits, no autograd: what reference
/// log-probs and reward scores cost) with float32 weights against the same model frozen to bf16, in one process,
/// alternating the two every repeat so that both see the same machine load; medians of tokens/s and the weight bytes.
/// </summary>
public static class FrozenBench
{
    /// <summary>One result line.</summary>
    public sealed record Record(string Bench, string Config, int Batch, int Seq, double F32TokensPerS, double Bf16TokensPerS, double Ratio,
        double F32WeightsMb, double Bf16WeightsMb, double MaxAbsLogitDiff, int Repeats, int Threads);

    /// <summary>Builds the <c>frozen</c> verb of <c>bench</c>.</summary>
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "Model: gpt2-124m (config G), or config A/B.", DefaultValueFactory = _ => "gpt2-124m" };
        preset.AcceptOnlyFromAmong("gpt2-124m", "A", "B", "a", "b");
        var batch = new Option<int>("--batch") { Description = "Rows per forward.", DefaultValueFactory = _ => 4 };
        var seq = new Option<int>("--seq-len") { Description = "Tokens per row.", DefaultValueFactory = _ => 256 };
        var repeats = new Option<int>("--repeats") { Description = "Timed forwards of each model (alternating) after one untimed each; medians reported.", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line instead of text." };
        var command = new Command("frozen", "Time a frozen model's forward (hidden states + logits) with float32 vs bf16 weights, alternating in one process: median tokens/s.")
        {
            preset, batch, seq, repeats, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            string p = parse.GetValue(preset)!;
            string name = p == "gpt2-124m" ? ModelBench.PresetConfig(p) : p.ToUpperInvariant();
            int b = parse.GetValue(batch), t = parse.GetValue(seq), n = Math.Max(1, parse.GetValue(repeats));
            parse.InvocationConfiguration.Error.WriteLine($"bench frozen config {name}, {b} × {t}: {n} alternating forwards of each...");
            var r = Run(ModelBench.Config(name), name, b, t, n);
            output.WriteLine(parse.GetValue(json) ? BenchJson.Line(r)
                : string.Create(CultureInfo.InvariantCulture, $"frozen forward, config {name}, {b} × {t}, {r.Threads} threads: f32 {r.F32TokensPerS:F1} tokens/s, bf16 {r.Bf16TokensPerS:F1} tokens/s (× {r.Ratio:F2}); weights {r.F32WeightsMb:F0} → {r.Bf16WeightsMb:F0} MiB; max |Δlogit| {r.MaxAbsLogitDiff:G3}"));
            return 0;
        });
        return command;
    }

    /// <summary>Runs the comparison on two copies of a seeded random model of <paramref name="config"/>.</summary>
    public static Record Run(GptConfig config, string configName, int batch, int T, int repeats)
    {
        var f32 = new Gpt(config, seed: 1);
        var bf16 = new Gpt(config, seed: 1);
        long f32Bytes = 4 * f32.ParameterCount;
        f32.FreezeTo(Dtype.F32);
        bf16.FreezeTo(Dtype.BF16);
        long bf16Bytes = f32Bytes - 2 * MatrixScalars(config); // matrices at 2 bytes, norms and biases still at 4
        var rng = new Rng(2);
        var ids = new int[batch * T];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(config.VocabSize);
        var times = (F32: new List<double>(), Bf16: new List<double>());
        double maxDiff = 0;
        using var noGrad = Tensor.NoGrad();
        for (int s = 0; s <= repeats; s++)
        {
            var clock = Stopwatch.StartNew();
            var a = f32.Logits(f32.Forward(ids, batch, T));
            double ta = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var c = bf16.Logits(bf16.Forward(ids, batch, T));
            double tb = clock.Elapsed.TotalSeconds;
            if (s == 0)
            {
                var x = a.Span; var y = c.Span;
                for (int i = 0; i < x.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(x[i] - y[i]));
                continue;
            }
            times.F32.Add(ta);
            times.Bf16.Add(tb);
        }
        double f = batch * T / ModelBench.Median(times.F32), h = batch * T / ModelBench.Median(times.Bf16);
        return new Record("frozen", configName, batch, T, Math.Round(f, 1), Math.Round(h, 1), Math.Round(h / f, 3),
            Math.Round(f32Bytes / 1048576.0, 1), Math.Round(bf16Bytes / 1048576.0, 1), maxDiff, repeats, Environment.ProcessorCount);
    }

    /// <summary>Scalars in the matrices a frozen GPT stores in bf16: wte, wpe and the four projections per block.</summary>
    private static long MatrixScalars(GptConfig c) =>
        (long)c.VocabSize * c.NEmbd + (long)c.NPositions * c.NEmbd + (long)c.NLayer * (3L * c.NEmbd * c.NEmbd + c.NEmbd * c.NEmbd + 8L * c.NEmbd * c.NEmbd);
}
