using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization;
using Rlhf.Training.BestOfN;
using Rlhf.Training.Common;
using Rlhf.Training.Labeling;
using Rlhf.Training.Logging;
using Rlhf.Training.Rl;
using Spectre.Console;
using static Rlhf.Training.Reporting.Demo.DemoFormat;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Reporting.Demo;

/// <summary>
/// What an <c>rlhf demo</c> directory holds, read back from its files alone: <c>demo.json</c> (seed, size, stages with
/// status, time and commands) and each finished stage's outputs — loss curves, the labelers' agreement, the reward
/// model's held-out accuracy, PPO's over-optimisation curve and guard replay, the best-of-N curve, DPO's KL and gold,
/// GRPO's held-out accuracy and the sample completions. A stage that is missing from demo.json or did not finish is
/// "not run"/"failed" and has no results; one whose files cannot be read is listed in <see cref="Problems"/>. The
/// summary table (<see cref="Rows"/>) states the key figure of every stage; <see cref="DemoReport"/> turns the same
/// data into report.html.
/// </summary>
public sealed partial class DemoSummary
{
    /// <summary>The state file that marks a demo directory.</summary>
    public const string StateFile = "demo.json";

    /// <summary>The demo's stages in order (their names in demo.json).</summary>
    public static readonly IReadOnlyList<string> StageNames = ["data", "pretrain", "sft", "label", "rm", "ppo_kl", "ppo", "bon", "dpo", "grpo", "samples"];

    private const string FormatRateMetric = RlMetricNames.FormatRate;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly Dictionary<string, string> _problems = new(StringComparer.Ordinal);

    private DemoSummary(string directory, ulong? seed, bool quick, IReadOnlyList<DemoStage> stages)
    {
        Directory = directory;
        Seed = seed;
        Quick = quick;
        Stages = stages;
    }

    /// <summary>The demo directory.</summary>
    public string Directory { get; }

    /// <summary>The demo's seed (null when demo.json does not say).</summary>
    public ulong? Seed { get; }

    /// <summary>True for a <c>--quick</c> demo (toy sizes: the plumbing, not the story).</summary>
    public bool Quick { get; }

    /// <summary>The stages demo.json records, in its order.</summary>
    public IReadOnlyList<DemoStage> Stages { get; }

    /// <summary>Finished stages whose outputs could not be read: stage name → why.</summary>
    public IReadOnlyDictionary<string, string> Problems => _problems;

    /// <summary>Sizes of the built-in data set (stage <c>data</c>).</summary>
    public DemoData? Data { get; private set; }

    /// <summary>Pretraining loss (stage <c>pretrain</c>, base/metrics.jsonl).</summary>
    public DemoLossCurve? Pretrain { get; private set; }

    /// <summary>SFT loss (stage <c>sft</c>, sft/metrics.jsonl).</summary>
    public DemoLossCurve? Sft { get; private set; }

    /// <summary>The simulated labelers' summary (stage <c>label</c>, labels/summary.json).</summary>
    public LabelingSummary? Labels { get; private set; }

    /// <summary>The reward-model ensemble's members (stage <c>rm</c>, rm/member-*/metrics.jsonl).</summary>
    public IReadOnlyList<DemoRmMember>? RewardModel { get; private set; }

    /// <summary>The PPO run (stage <c>ppo</c>, ppo/metrics.jsonl and ppo/guard.json).</summary>
    public DemoPpo? Ppo { get; private set; }

    /// <summary>PPO with the KL penalty (stage <c>ppo_kl</c>, directory <c>ppo-kl/</c>): the same RM, held near the SFT model; null when not run.</summary>
    public DemoPpo? PpoKl { get; private set; }

    /// <summary>The best-of-N curve (stage <c>bon</c>, bon/curve.json).</summary>
    public BestOfNCurveResult? BestOfN { get; private set; }

    /// <summary>DPO's evaluations with KL and gold (stage <c>dpo</c>, dpo/metrics.jsonl).</summary>
    public IReadOnlyList<DemoDpoPoint>? Dpo { get; private set; }

    /// <summary>The GRPO run (stage <c>grpo</c>, grpo/run/metrics.jsonl).</summary>
    public DemoGrpo? Grpo { get; private set; }

    /// <summary>The sample completions (stage <c>samples</c>, samples.json).</summary>
    public DemoSampleTable? Samples { get; private set; }

    /// <summary>PPO, best-of-N and DPO at best-of-N's largest √KL (null without a best-of-N curve reaching n &gt; 1).</summary>
    public DemoMatchedKl? MatchedKl { get; private set; }

    /// <summary>The best-of-N point with the largest n (null without the stage).</summary>
    public BestOfNPoint? BestOfNLargest => BestOfN?.Points.MaxBy(p => p.N);

    /// <summary>The best-of-N point for n = 1 (plain samples of the SFT model), or null.</summary>
    public BestOfNPoint? BestOfNFirst => BestOfN?.Points.FirstOrDefault(p => p.N == 1);

    /// <summary>Sum of the recorded stage times, seconds.</summary>
    public double TotalSeconds => Stages.Sum(s => s.Seconds ?? 0);

    /// <summary>The demo.json entry of stage <paramref name="name"/>, or null.</summary>
    public DemoStage? Stage(string name) => Stages.FirstOrDefault(s => s.Name == name);

    /// <summary>"done", "failed" (or whatever demo.json says) or "not run" for a stage demo.json does not list.</summary>
    public string StageStatus(string name) => Stage(name)?.Status ?? "not run";

    /// <summary>
    /// Reads demo directory <paramref name="demoDir"/>. Throws <see cref="TrainingException"/> when it has no readable
    /// demo.json; a stage's unreadable outputs only leave that stage without results (see <see cref="Problems"/>).
    /// </summary>
    public static DemoSummary Load(string demoDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(demoDir);
        string statePath = Path.Combine(demoDir, StateFile);
        if (!File.Exists(statePath))
            throw new TrainingException($"{demoDir}: no {StateFile}, so this is not an `rlhf demo` directory (make one with `rlhf demo --out {demoDir}`)");
        ulong? seed;
        bool quick;
        List<DemoStage> stages;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(statePath));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new JsonException("expected a JSON object");
            seed = root.TryGetProperty("seed", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetUInt64(out ulong sv) ? sv : null;
            quick = root.TryGetProperty("quick", out var q) && q.ValueKind == JsonValueKind.True;
            stages = root.TryGetProperty("stages", out var st) && st.ValueKind == JsonValueKind.Array
                ? (st.Deserialize<List<DemoStage?>>(Json) ?? []).OfType<DemoStage>().Where(x => x.Name is not null && x.Status is not null).ToList()
                : [];
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{statePath}: not a demo state file ({e.Message})", e);
        }
        var summary = new DemoSummary(demoDir, seed, quick, stages);
        summary.LoadStages();
        return summary;
    }

    private string P(params string[] parts) => Path.Combine([Directory, .. parts]);

    private void LoadStages()
    {
        Data = Try("data", () => new DemoData(Lines(P("data", "corpus.txt")), Lines(P("data", "sft.jsonl")), Lines(P("data", "prompts_label.jsonl")),
            Lines(P("data", "prompts_rl.jsonl")), Lines(P("data", "prompts_eval.jsonl"))));
        Pretrain = Try("pretrain", () => LossCurve(P("base", "metrics.jsonl")));
        Sft = Try("sft", () => LossCurve(P("sft", "metrics.jsonl")));
        Labels = Try("label", () => Read<LabelingSummary>(P("labels", "summary.json")));
        RewardModel = Try("rm", LoadRewardModel);
        PpoKl = Try("ppo_kl", () => DemoPpo.FromMetrics(MetricsReader.Read(P("ppo-kl", "metrics.jsonl")), null, "PPO + KL"));
        Ppo = Try("ppo", () => DemoPpo.FromMetrics(MetricsReader.Read(P("ppo", "metrics.jsonl")), LoadGuard()));
        BestOfN = Try("bon", () =>
        {
            var curve = Read<BestOfNCurveResult>(P("bon", "curve.json"));
            return curve.Points is { Count: > 0 } ? curve : throw new InvalidDataException($"{P("bon", "curve.json")}: no points");
        });
        Dpo = Try("dpo", () =>
        {
            var points = MetricsReader.Read(P("dpo", "metrics.jsonl"))
                .Where(e => e.Get(RlMetricNames.Kl) is not null && e.Get(RlMetricNames.GoldReward) is not null)
                .Select(e =>
                {
                    double kl = e.Get(RlMetricNames.Kl)!.Value;
                    return new DemoDpoPoint(e.Step, kl, Math.Sqrt(Math.Max(0, kl)), e.Get(RlMetricNames.GoldReward)!.Value, e.Get("eval_accuracy"));
                }).ToList();
            return points.Count > 0 ? points : throw new InvalidDataException($"{P("dpo", "metrics.jsonl")}: no evaluation with kl and gold_reward");
        });
        Grpo = Try("grpo", () =>
        {
            var entries = MetricsReader.Read(P("grpo", "run", "metrics.jsonl"));
            var rl = entries.Where(e => e.Step > 0).ToList();
            return new DemoGrpo(DemoLossCurve.Points(entries, RlMetricNames.Accuracy), DemoLossCurve.Points(rl, "reward"),
                DemoLossCurve.Points(entries, FormatRateMetric), DemoLossCurve.Points(rl, RlMetricNames.Kl));
        });
        Samples = Try("samples", () =>
        {
            var table = Read<DemoSampleTable>(P("samples.json"));
            return table.Prompts is not null && table.Methods is not null ? table : throw new InvalidDataException($"{P("samples.json")}: no prompts or methods");
        });
        MatchedKl = BuildMatchedKl();
    }

    /// <summary>Runs a stage's loader when the stage finished; a read failure is noted in <see cref="Problems"/> and gives null.</summary>
    private T? Try<T>(string stage, Func<T> load) where T : class
    {
        if (Stage(stage) is not { IsDone: true }) return null;
        try { return load(); }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            _problems[stage] = e.Message;
            return null;
        }
    }

    private static T Read<T>(string path) where T : class =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty (null)");

    private static int? Lines(string path) => File.Exists(path) ? File.ReadLines(path).Count(l => !string.IsNullOrWhiteSpace(l)) : null;

    private static DemoLossCurve LossCurve(string path)
    {
        var curve = DemoLossCurve.FromMetrics(MetricsReader.Read(path));
        return curve.Train.Count > 0 ? curve : throw new InvalidDataException($"{path}: no training loss logged");
    }

    private List<DemoRmMember> LoadRewardModel()
    {
        List<string> dirs = System.IO.Directory.Exists(P("rm"))
            ? [.. RunLayout.Members(P("rm"))]
            : throw new DirectoryNotFoundException($"{P("rm")}: no such directory");
        if (dirs.Count == 0) dirs.Add(P("rm")); // a single reward model
        var members = new List<DemoRmMember>();
        foreach (string dir in dirs)
        {
            var evals = MetricsReader.Read(Path.Combine(dir, "metrics.jsonl")).Where(e => e.Get("eval_accuracy") is not null).ToList();
            if (evals.Count == 0) throw new InvalidDataException($"{Path.Combine(dir, "metrics.jsonl")}: no held-out evaluation (eval_accuracy)");
            members.Add(new DemoRmMember(Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
                evals[0].Step == 0 && evals.Count > 1 ? evals[0].Get("eval_accuracy") : null, evals[^1].Get("eval_accuracy"), evals[^1].Get("eval_loss")));
        }
        return members;
    }

    private DemoGuard? LoadGuard()
    {
        string path = P("ppo", "guard.json");
        if (!File.Exists(path)) return null;
        try { return Read<DemoGuard>(path); }
        catch (JsonException e)
        {
            _problems["ppo"] = $"{path}: {e.Message}";
            return null;
        }
    }

    private DemoMatchedKl? BuildMatchedKl()
    {
        if (BestOfNLargest is not { N: > 1 } bon || !(bon.SqrtKl > 0)) return null;
        var points = new List<DemoKlPoint>();
        foreach (var ppo in new[] { PpoKl, Ppo }.OfType<DemoPpo>())
        {
            int i = ppo.ClosestTo(bon.SqrtKl);
            points.Add(new DemoKlPoint(ppo.Curve.Label, $"iteration {I(ppo.Curve.Iterations[i])}", ppo.Curve.SqrtKl[i], ppo.Curve.Gold?[i], ppo.Curve.Proxy[i]));
        }
        points.Add(new DemoKlPoint($"best-of-{I(bon.N)}", $"n = {I(bon.N)}", bon.SqrtKl, bon.Gold, bon.Proxy));
        if (Dpo is [.., var dpo]) points.Add(new DemoKlPoint("DPO", $"step {I(dpo.Step)}", dpo.SqrtKl, dpo.Gold, null));
        return new DemoMatchedKl(bon.SqrtKl, points);
    }

    /// <summary>Mean of the first and of the last few values (<see cref="DemoPpo.WindowFor"/> of the count) of a noisy per-iteration series.</summary>
    public static (double First, double Last) Ends(IReadOnlyList<DemoPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) throw new ArgumentException("no points", nameof(points));
        int k = Math.Min(points.Count, DemoPpo.WindowFor(points.Count));
        return (points.Take(k).Average(p => p.Value), points.Skip(points.Count - k).Average(p => p.Value));
    }

    // ================================================================ the summary table

    /// <summary>The summary table: per stage its key figures (or "not run"/"failed"), the matched-KL comparison and the times.</summary>
    public IReadOnlyList<DemoRow> Rows()
    {
        var rows = new List<DemoRow>();
        void Add(string stage, string figure, string value) => rows.Add(new DemoRow(stage, figure, value));
        bool Missing(string stage, object? result)
        {
            if (result is not null) return false;
            string status = StageStatus(stage);
            Add(stage, "—", _problems.TryGetValue(stage, out string? why) ? $"unreadable: {why}" : status == DemoStage.Done ? "no results" : status);
            return true;
        }

        if (!Missing("pretrain", Pretrain)) LossRows("pretrain", Pretrain!, Add);
        if (!Missing("sft", Sft)) LossRows("sft", Sft!, Add);

        if (!Missing("label", Labels))
        {
            var l = Labels!;
            Add("label", "inter-labeler agreement", $"{Pct(l.InterLabelerAgreement)} ({I(l.Labelers)} labelers, {I(l.Pairs)} pairs)");
            Add("label", "gold ceiling (a perfect RM's accuracy)", Pct(l.GoldCeiling));
            Add("label", "labels that follow the gold order", Pct(l.LabelsGoldAgreement));
            Add("label", "chosen answer is the longer one", $"{Pct(l.ChosenLongerFraction)} of pairs");
        }

        if (!Missing("rm", RewardModel))
        {
            var accs = RewardModel!.Where(m => m.Accuracy is not null).Select(m => m.Accuracy!.Value).ToList();
            var before = RewardModel!.Where(m => m.AccuracyBefore is not null).Select(m => m.AccuracyBefore!.Value).ToList();
            if (accs.Count > 0)
            {
                double mean = accs.Average();
                string range = accs.Count > 1 ? $", members {Pct(accs.Min())}–{Pct(accs.Max())}" : "";
                string untrained = before.Count > 0 ? $"; untrained {Pct(before.Average())}" : "";
                Add("rm", $"held-out accuracy ({I(RewardModel!.Count)} member{(RewardModel!.Count == 1 ? "" : "s")})", $"{Pct(mean)} mean{range}{untrained}");
                if (Labels?.GoldCeiling is > 0 and var ceiling) Add("rm", "accuracy ÷ gold ceiling", Pct(mean / ceiling));
                if (Labels?.InterLabelerAgreement is > 0 and var agreement) Add("rm", "accuracy ÷ inter-labeler agreement", Pct(mean / agreement));
            }
        }

        if (!Missing("ppo_kl", PpoKl)) PpoRows("ppo_kl", PpoKl!, Add);
        if (!Missing("ppo", Ppo)) PpoRows("ppo", Ppo!, Add);

        if (!Missing("bon", BestOfN))
        {
            if (BestOfNFirst is { } first) Add("bon", "n = 1 (plain SFT samples)", $"proxy {F(first.Proxy)}, gold {F(first.Gold)}");
            var last = BestOfNLargest!;
            Add("bon", $"n = {I(last.N)} (√KL {F(last.SqrtKl)})", $"proxy {F(last.Proxy)}, gold {F(last.Gold)}");
        }

        if (!Missing("dpo", Dpo))
        {
            var first = Dpo![0];
            var last = Dpo![^1];
            Add("dpo", $"final evaluation (step {I(last.Step)})", $"KL {F(last.Kl)} (√KL {F(last.SqrtKl)}), gold {F(last.Gold)} (step {I(first.Step)}: {F(first.Gold)})");
            if (last.Accuracy is { } acc) Add("dpo", "held-out preference accuracy", Pct(acc));
        }

        if (MatchedKl is { } m)
        {
            Add("matched KL", "target: best-of-N's largest √KL", F(m.TargetSqrtKl));
            foreach (var p in m.Points)
                Add("matched KL", $"{p.Method}, {p.Where}", $"gold {F(p.Gold)} at √KL {F(p.SqrtKl)}{(m.Matched(p) ? "" : " (KL not matched)")}");
        }

        if (!Missing("grpo", Grpo))
        {
            var g = Grpo!;
            if (g.Accuracy.Count > 0)
            {
                var best = g.Accuracy.MaxBy(p => p.Value)!;
                Add("grpo", "held-out accuracy, first → last", $"{Pct(g.Accuracy[0].Value)} (step {I(g.Accuracy[0].Step)}) → {Pct(g.Accuracy[^1].Value)} (step {I(g.Accuracy[^1].Step)})");
                Add("grpo", "best held-out accuracy", $"{Pct(best.Value)} at step {I(best.Step)}");
            }
            if (g.Reward.Count > 0)
            {
                var (a, b) = Ends(g.Reward);
                Add("grpo", "checker reward, first → last iterations", $"{F(a)} → {F(b)}");
            }
            if (g.FormatRate.Count > 0)
            {
                var (a, b) = Ends(g.FormatRate);
                Add("grpo", "format rate, first → last iterations", $"{Pct(a)} → {Pct(b)}");
            }
        }

        foreach (string name in StageNames)
            if (Stage(name) is { } s) Add("time", name, s.Seconds is { } sec ? $"{Seconds(sec)}{(s.IsDone ? "" : $" ({s.Status})")}" : s.Status);
            else Add("time", name, "not run");
        Add("time", "total", Seconds(TotalSeconds));
        return rows;
    }

    private static void LossRows(string stage, DemoLossCurve curve, Action<string, string, string> add)
    {
        add(stage, "training loss, first → last", $"{F(curve.Train[0].Value)} → {F(curve.Train[^1].Value)}");
        if (curve.Validation.Count > 0)
            add(stage, "validation loss, first → last", $"{F(curve.Validation[0].Value)} → {F(curve.Validation[^1].Value)}");
    }

    private static void PpoRows(string stage, DemoPpo ppo, Action<string, string, string> add)
    {
        var c = ppo.Curve;
        int last = ppo.LastIndex;
        string avg = ppo.Window > 1 ? $" ({I(ppo.Window)}-iteration average)" : "";
        add(stage, $"start, iteration {I(c.Iterations[0])}{avg}", $"proxy {F(c.Proxy[0])}, gold {F(c.Gold?[0])}");
        if (ppo.PeakIndex is { } peak && c.Gold is { } gold)
        {
            add(stage, $"gold peak{avg}", $"{F(gold[peak])} at iteration {I(c.Iterations[peak])}, √KL {F(c.SqrtKl[peak])}");
            add(stage, $"end, iteration {I(c.Iterations[last])}{avg}", $"proxy {F(c.Proxy[last])}, gold {F(gold[last])}, √KL {F(c.SqrtKl[last])}");
            add(stage, "over-optimisation", OveroptimisationVerdict(ppo));
        }
        else add(stage, $"end, iteration {I(c.Iterations[last])}", $"proxy {F(c.Proxy[last])}, √KL {F(c.SqrtKl[last])} (no gold logged)");
        if (ppo.Guard is { } g)
            add(stage, "guard", (g.StopIteration is { } stop ? $"would stop at iteration {I(stop)} ({ShortReason(g.StopReason)})" : $"never fires in {I(g.Iterations)} iterations")
                + (g.KeptIteration is { } kept ? $"; keeps iteration {I(kept)}, gold {F(g.KeptGold)}" : "; keeps no iteration"));
    }

    /// <summary>
    /// The guard's stop reason shortened to the names of the monitors that fired ("gold_drop, kl_budget"), or the
    /// reason itself (at most 80 characters) when it names none.
    /// </summary>
    public static string ShortReason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason)) return "no reason given";
        var names = MonitorName().Matches(reason).Select(m => m.Groups[1].Value).Distinct().ToList();
        return names.Count > 0 ? string.Join(", ", names) : reason.Length <= 80 ? reason : reason[..79] + "…";
    }

    [GeneratedRegex(@"(?:^|: |; )([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z][a-z0-9]*): ")]
    private static partial Regex MonitorName();

    /// <summary>
    /// One line on whether PPO over-optimised: gold peaked before the end and then fell while the proxy kept rising
    /// (reward hacking), gold fell with the proxy, or gold was still at its peak at the end.
    /// </summary>
    public static string OveroptimisationVerdict(DemoPpo ppo)
    {
        ArgumentNullException.ThrowIfNull(ppo);
        var c = ppo.Curve;
        if (c.Gold is not { } gold || ppo.PeakIndex is not { } peak) return "no gold logged";
        int last = ppo.LastIndex;
        if (peak == last) return "none visible: gold is highest at the last iteration";
        double fall = gold[peak] - gold[last], rise = c.Proxy[last] - c.Proxy[peak];
        return rise > 0
            ? $"yes: after the peak gold fell by {F(fall)} while the proxy rose by {F(rise)}"
            : $"gold fell by {F(fall)} after the peak, but the proxy fell too ({Signed(rise)}): not reward hacking";
    }

    /// <summary>The summary as plain text: a heading and one aligned line per row.</summary>
    public void Render(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var rows = Rows();
        output.WriteLine(Title);
        int w1 = Math.Max(5, rows.Max(r => r.Stage.Length)), w2 = Math.Max(6, rows.Max(r => r.Figure.Length));
        output.WriteLine($"{"stage".PadRight(w1)}  {"figure".PadRight(w2)}  value");
        output.WriteLine($"{new string('-', w1)}  {new string('-', w2)}  -----");
        string? previous = null;
        foreach (var r in rows)
        {
            output.WriteLine($"{(r.Stage == previous ? "" : r.Stage).PadRight(w1)}  {r.Figure.PadRight(w2)}  {r.Value}");
            previous = r.Stage;
        }
    }

    /// <summary>The summary as a Spectre.Console table (cell text is not markup; the stage is named on its first row only).</summary>
    public Table ToTable()
    {
        var table = new Table().Title(Markup.Escape(Title)).AddColumns("stage", "figure", "value");
        string? previous = null;
        foreach (var r in Rows())
        {
            table.AddRow(new Text(r.Stage == previous ? "" : r.Stage), new Text(r.Figure), new Text(r.Value));
            previous = r.Stage;
        }
        return table;
    }

    /// <summary>"rlhf demo — quick, seed 1".</summary>
    public string Title => $"rlhf demo — {(Quick ? "quick" : "full")}{(Seed is { } s ? $", seed {s}" : "")}";
}
