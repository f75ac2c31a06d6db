using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization;
using Rlhf.Training.BestOfN;
using Rlhf.Training.Common;
using Rlhf.Training.Labeling;
using Rlhf.Training.Rl;
using Rlhf.Training.RewardModeling;
using Spectre.Console;
using static Rlhf.Cli.Demo.Report.DemoFormat;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Demo.Report;

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
        var state = DemoState.Load(demoDir)
            ?? throw new TrainingException($"{demoDir}: no {DemoLayout.StateFile}, so this is not an `rlhf demo` directory (make one with `rlhf demo --out {demoDir}`)");
        var stages = (state.Stages ?? []).OfType<DemoStage>().Where(x => x.Name is not null && x.Status is not null).ToList();
        var summary = new DemoSummary(demoDir, state.Seed, state.Quick, stages);
        summary.LoadStages();
        return summary;
    }

    private string P(params string[] parts) => Path.Combine([Directory, .. parts]);

    private void LoadStages()
    {
        Data = Try(DemoLayout.DataStage, () => new DemoData(Lines(P(DemoLayout.DataDir, "corpus.txt")), Lines(P(DemoLayout.DataDir, "sft.jsonl")), Lines(P(DemoLayout.DataDir, "prompts_label.jsonl")),
            Lines(P(DemoLayout.DataDir, "prompts_rl.jsonl")), Lines(P(DemoLayout.DataDir, "prompts_eval.jsonl"))));
        Pretrain = Try(DemoLayout.PretrainStage, () => LossCurve(P(DemoLayout.BaseDir, "metrics.jsonl")));
        Sft = Try(DemoLayout.SftStage, () => LossCurve(P(DemoLayout.SftDir, "metrics.jsonl")));
        Labels = Try(DemoLayout.LabelStage, () => Read<LabelingSummary>(P(DemoLayout.LabelsDir, "summary.json")));
        RewardModel = Try(DemoLayout.RmStage, LoadRewardModel);
        PpoKl = Try(DemoLayout.PpoKlStage, () => DemoPpo.FromMetrics(MetricsReader.Read(P(DemoLayout.PpoKlDir, "metrics.jsonl")), null, "PPO + KL"));
        Ppo = Try(DemoLayout.PpoStage, () => DemoPpo.FromMetrics(MetricsReader.Read(P(DemoLayout.PpoDir, "metrics.jsonl")), LoadGuard()));
        BestOfN = Try(DemoLayout.BonStage, () =>
        {
            var curve = Read<BestOfNCurveResult>(P(DemoLayout.BonDir, "curve.json"));
            return curve.Points is { Count: > 0 } ? curve : throw new InvalidDataException($"{P(DemoLayout.BonDir, "curve.json")}: no points");
        });
        Dpo = Try(DemoLayout.DpoStage, () =>
        {
            var points = MetricsReader.Read(P(DemoLayout.DpoDir, "metrics.jsonl"))
                .Where(e => e.Get(RlMetricNames.Kl) is not null && e.Get(RlMetricNames.GoldReward) is not null)
                .Select(e =>
                {
                    double kl = e.Get(RlMetricNames.Kl)!.Value;
                    return new DemoDpoPoint(e.Step, kl, Math.Sqrt(Math.Max(0, kl)), e.Get(RlMetricNames.GoldReward)!.Value, e.Get("eval_accuracy"));
                }).ToList();
            return points.Count > 0 ? points : throw new InvalidDataException($"{P(DemoLayout.DpoDir, "metrics.jsonl")}: no evaluation with kl and gold_reward");
        });
        Grpo = Try(DemoLayout.GrpoStage, () =>
        {
            var entries = MetricsReader.Read(P(DemoLayout.GrpoDir, "run", "metrics.jsonl"));
            var rl = entries.Where(e => e.Step > 0).ToList();
            return new DemoGrpo(DemoLossCurve.Points(entries, RlMetricNames.Accuracy), DemoLossCurve.Points(rl, "reward"),
                DemoLossCurve.Points(entries, FormatRateMetric), DemoLossCurve.Points(rl, RlMetricNames.Kl));
        });
        Samples = Try(DemoLayout.SamplesStage, () =>
        {
            var table = Read<DemoSampleTable>(P(DemoLayout.SamplesFile));
            return table.Prompts is not null && table.Methods is not null ? table : throw new InvalidDataException($"{P(DemoLayout.SamplesFile)}: no prompts or methods");
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
        List<string> dirs = System.IO.Directory.Exists(P(DemoLayout.RmDir))
            ? [.. RunLayout.Members(P(DemoLayout.RmDir))]
            : throw new DirectoryNotFoundException($"{P(DemoLayout.RmDir)}: no such directory");
        if (dirs.Count == 0) dirs.Add(P(DemoLayout.RmDir)); // a single reward model
        var members = new List<DemoRmMember>();
        foreach (string dir in dirs)
        {
            var evals = MetricsReader.Read(Path.Combine(dir, "metrics.jsonl")).Where(e => e.Get("eval_accuracy") is not null).ToList();
            if (evals.Count == 0) throw new InvalidDataException($"{Path.Combine(dir, "metrics.jsonl")}: no held-out evaluation (eval_accuracy)");
            members.Add(new DemoRmMember(Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
                evals[0].Step == 0 && evals.Count > 1 ? evals[0].Get("eval_accuracy") : null, evals[^1].Get("eval_accuracy"), evals[^1].Get("eval_loss"),
                evals[^1].Get(RewardTrainer.LabelCeilingGoldMetric), evals[^1].Get(RewardTrainer.LabelCeilingUtilityMetric)));
        }
        return members;
    }

    private DemoGuard? LoadGuard()
    {
        string path = P(DemoLayout.PpoDir, "guard.json");
        if (!File.Exists(path)) return null;
        try { return Read<DemoGuard>(path); }
        catch (JsonException e)
        {
            _problems[DemoLayout.PpoStage] = $"{path}: {e.Message}";
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
}
