using System.Globalization;
using System.Text.Json;
using Rlhf.Training.BestOfN;

namespace Rlhf.Cli.Tests.Demo;

/// <summary>
/// A synthetic <c>rlhf demo</c> directory with known numbers, written file by file as the demo's stages write them:
/// <list type="bullet">
/// <item>PPO, 20 iterations: √KL = 0.1·(i − 1), proxy = 0.1·i (always rising), gold = 0.4 − 0.05·|i − 8| (peak 0.4 at
/// iteration 8, √KL 0.7; 0.2 at iteration 12, −0.2 at the end); the guard would stop at 12 and keeps 8.</item>
/// <item>Best-of-N, n = 1, 2, 4, 8 with the analytic KL: largest √KL = √(ln 8 − 7/8) ≈ 1.0975, closest to PPO's
/// iteration 12 (√KL 1.1).</item>
/// <item>DPO: evaluations at steps 0 (KL 0, gold −0.5) and 60 (KL 0.09 → √KL 0.3, gold −0.3, accuracy 0.66).</item>
/// <item>GRPO: held-out accuracy 10% at step 0, 40% at step 5, 35% at step 10; reward and format rate rising.</item>
/// <item>samples.json with a completion holding <c>&lt;script&gt;</c> and a prompt holding <c>&lt;b&gt;</c>.</item>
/// </list>
/// Stages can be left out (absent from demo.json and their files not written) or marked failed.
/// </summary>
internal static class DemoFixture
{
    public const int PeakIteration = 8, StopIteration = 12, Iterations = 20;
    public const string Script = "<script>alert('x')</script> & more", Prompt = "How was the <b>cafe</b>?";

    public static double PpoGold(int i) => 0.4 - 0.05 * Math.Abs(i - PeakIteration);

    public static double PpoSqrtKl(int i) => 0.1 * (i - 1);

    /// <summary>The PPO run with the KL penalty: gold rises all the way while √KL grows slowly.</summary>
    public static double PpoKlGold(int i) => -0.5 + 0.04 * i;

    public static double PpoKlSqrtKl(int i) => 0.06 * (i - 1);

    /// <summary>Writes the demo into <paramref name="dir"/>; stages in <paramref name="skip"/> are not run, those in <paramref name="failed"/> failed.</summary>
    public static void Write(string dir, string[]? skip = null, string[]? failed = null, Func<int, double>? gold = null)
    {
        skip ??= [];
        failed ??= [];
        gold ??= PpoGold;
        Directory.CreateDirectory(dir);
        string P(params string[] parts)
        {
            string path = Path.Combine([dir, .. parts]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return path;
        }
        bool Run(string stage) => !skip.Contains(stage) && !failed.Contains(stage);
        string[] names = ["data", "pretrain", "sft", "label", "rm", "ppo_kl", "ppo", "bon", "dpo", "grpo", "samples"];
        var stages = names.Where(n => !skip.Contains(n)).Select((n, i) => new
        {
            name = n,
            status = failed.Contains(n) ? "failed" : "done",
            seconds = 1.5 + i,
            commands = n == "samples" ? Array.Empty<string>() : [$"rlhf {n} --out {dir}/{n} --seed 7"],
        }).ToList();
        File.WriteAllText(P("demo.json"), JsonSerializer.Serialize(new { seed = 7, quick = false, stages }));

        if (Run("data"))
        {
            File.WriteAllLines(P("data", "corpus.txt"), Enumerable.Range(0, 30).Select(i => $"review {i}"));
            File.WriteAllLines(P("data", "sft.jsonl"), Enumerable.Range(0, 12).Select(i => $"{{\"prompt\":\"p{i}\",\"response\":\"r\"}}"));
            foreach (var (set, n) in new[] { ("label", 5), ("rl", 6), ("eval", 2) })
                File.WriteAllLines(P("data", $"prompts_{set}.jsonl"), Enumerable.Range(0, n).Select(i => $"{{\"prompt\":\"p{i}\"}}"));
        }
        if (Run("pretrain")) Metrics(P("base", "metrics.jsonl"), Enumerable.Range(0, 11).Select(s => s == 0
            ? M(0, ("val_loss", 5.2)) : s == 10 ? M(s, ("loss", 5 - 0.3 * s), ("val_loss", 2.1)) : M(s, ("loss", 5 - 0.3 * s)))); // 4.7 at step 1 → 2.0 at step 10
        if (Run("sft")) Metrics(P("sft", "metrics.jsonl"), [M(0, ("val_loss", 1.9)), M(1, ("loss", 1.8)), M(2, ("loss", 1.5), ("val_loss", 1.6))]);
        if (Run("label"))
            File.WriteAllText(P("labels", "summary.json"), """
                {"records":40,"labelers":3,"format":"ranked","pairs":240,"agreement_sample":40,"inter_labeler_agreement":0.7,"gold_ceiling":0.8,
                 "labels_gold_agreement":0.82,"chosen_longer_fraction":0.6,"chosen_chars_mean":90,"rejected_chars_mean":80,
                 "length_matched_kept":null,"length_matched_dropped":null,"identical_dropped":null,"label_ceiling_gold":0.66,"label_ceiling_utility":0.81}
                """);
        if (Run("rm"))
            foreach (var (member, acc, goldCeiling, utilityCeiling) in new[] { (0, 0.72, 0.6, 0.8), (1, 0.68, 0.7, 0.85) }) // each member's ceilings on its own held-out pairs
                Metrics(P("rm", $"member-{member}", "metrics.jsonl"), [M(0, ("eval_accuracy", 0.5), ("eval_loss", 0.69), ("label_ceiling_gold", goldCeiling), ("label_ceiling_utility", utilityCeiling)),
                    M(1, ("loss", 0.6)), M(2, ("loss", 0.5), ("eval_accuracy", acc), ("eval_loss", 0.55), ("label_ceiling_gold", goldCeiling), ("label_ceiling_utility", utilityCeiling))]);
        if (Run("ppo_kl"))
            Metrics(P("ppo-kl", "metrics.jsonl"), Enumerable.Range(1, Iterations).Select(i => M(i, ("proxy_reward", 0.05 * i),
                ("kl", Math.Pow(PpoKlSqrtKl(i), 2)), ("gold_reward", PpoKlGold(i)), ("response_length", 30.0), ("ensemble_std", 0.2))));
        if (Run("ppo"))
        {
            Metrics(P("ppo", "metrics.jsonl"), Enumerable.Range(1, Iterations).Select(i => M(i, ("proxy_reward", 0.1 * i),
                ("kl", Math.Pow(PpoSqrtKl(i), 2)), ("gold_reward", gold(i)), ("response_length", 30 - 0.5 * i), ("ensemble_std", 0.2 + 0.01 * i))));
            File.WriteAllText(P("ppo", "guard.json"), JsonSerializer.Serialize(new
            {
                metrics = "x",
                iterations = Iterations,
                stop_iteration = StopIteration,
                stop_reason = "gold dropped <fast>",
                kept_iteration = PeakIteration,
                kept_gold = gold(PeakIteration),
                stop_gold = gold(StopIteration),
                gold_peak_iteration = PeakIteration,
                gold_peak = gold(PeakIteration),
                gold_final = gold(Iterations),
            }));
        }
        if (Run("bon"))
        {
            int[] ns = [1, 2, 4, 8];
            var points = ns.Select(n =>
            {
                double kl = Math.Log(n) - (n - 1.0) / n;
                return new BestOfNPoint(n, kl, Math.Sqrt(kl), 0.2 * Math.Sqrt(kl), -0.4 + 0.3 * Math.Sqrt(kl) - 0.1 * kl);
            }).ToList();
            var d = points.Select(p => p.SqrtKl).ToArray();
            var curve = new BestOfNCurveResult(2, 8, BestOfNCurve.EstimatorName, points,
                GaoFit.Fit(d, points.Select(p => p.Proxy - points[0].Proxy).ToArray()), GaoFit.Fit(d, points.Select(p => p.Gold!.Value - points[0].Gold!.Value).ToArray()));
            File.WriteAllText(P("bon", "curve.json"), JsonSerializer.Serialize(curve));
        }
        if (Run("dpo"))
            Metrics(P("dpo", "metrics.jsonl"), [M(0, ("eval_accuracy", 0.5), ("kl", 0), ("gold_reward", -0.5)), M(30, ("loss", 0.6)),
                M(60, ("loss", 0.5), ("eval_accuracy", 0.66), ("kl", 0.09), ("gold_reward", -0.3))]);
        if (Run("grpo"))
            Metrics(P("grpo", "run", "metrics.jsonl"), Enumerable.Range(0, 11).Select(s =>
            {
                if (s == 0) return M(0, ("accuracy", 0.1));
                var values = new List<(string, double)> { ("reward", 0.05 * s), ("kl", 0.01 * s), ("format_rate", 0.5 + 0.05 * s) };
                if (s == 5) values.Add(("accuracy", 0.4));
                if (s == 10) values.Add(("accuracy", 0.35));
                return M(s, [.. values]);
            }));
        if (Run("samples"))
            File.WriteAllText(P("samples.json"), JsonSerializer.Serialize(new
            {
                prompts = new[] { Prompt, "Tell me about the park." },
                methods = new[]
                {
                    new { name = "SFT", completions = new[] { Script, "It was fine." }, gold = new[] { -0.5, 0.1 }, proxy = new[] { 0.2, 0.3 } },
                    new { name = "PPO (guard's best)", completions = new[] { "Lovely!", "" }, gold = new[] { 0.9, 0.0 }, proxy = new[] { 1.2, 0.8 } },
                },
            }));
    }

    private static string M(int step, params (string Name, double Value)[] values) =>
        "{\"step\":" + step.ToString(CultureInfo.InvariantCulture)
        + string.Concat(values.Select(v => $",\"{v.Name}\":{v.Value.ToString("R", CultureInfo.InvariantCulture)}")) + "}";

    private static void Metrics(string path, IEnumerable<string> lines) => File.WriteAllLines(path, lines);
}
