using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization;
using Rlhf.Training.BestOfN;
using Rlhf.Training.Common;
using Rlhf.Training.Labeling;
using Rlhf.Training.Rl;
using Spectre.Console;
using static Rlhf.Cli.Demo.Report.DemoFormat;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Demo.Report;

/// <summary>The summary table of a demo directory: its rows, as plain text and as a Spectre.Console table.</summary>
public sealed partial class DemoSummary
{
    // ================================================================ the summary table

    /// <summary>
    /// The members' ceilings on their own held-out pairs (<see cref="DemoRmMember.CeilingUtility"/>, <see cref="DemoRmMember.CeilingGold"/>)
    /// and their accuracy ÷ each, averaged over members; nothing for a run that did not log them.
    /// </summary>
    private void CeilingRows(Action<string, string, string> add)
    {
        var withCeilings = RewardModel!.Where(m => m.Accuracy is not null && m.CeilingUtility is not null && m.CeilingGold is not null).ToList();
        if (withCeilings.Count == 0) return;
        add(DemoLayout.RmStage, "ceilings on the same held-out pairs", $"labelers' biased utility {Pct(withCeilings.Average(m => m.CeilingUtility!.Value))}, gold {Pct(withCeilings.Average(m => m.CeilingGold!.Value))}");
        if (withCeilings.Select(m => m.OfUtilityCeiling).OfType<double>().ToList() is { Count: > 0 } u) add(DemoLayout.RmStage, "accuracy ÷ utility ceiling", Pct(u.Average()));
        if (withCeilings.Select(m => m.OfGoldCeiling).OfType<double>().ToList() is { Count: > 0 } g) add(DemoLayout.RmStage, "accuracy ÷ gold ceiling", Pct(g.Average()));
    }

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

        if (!Missing(DemoLayout.PretrainStage, Pretrain)) LossRows(DemoLayout.PretrainStage, Pretrain!, Add);
        if (!Missing(DemoLayout.SftStage, Sft)) LossRows(DemoLayout.SftStage, Sft!, Add);

        if (!Missing(DemoLayout.LabelStage, Labels))
        {
            var l = Labels!;
            Add(DemoLayout.LabelStage, "inter-labeler agreement", $"{Pct(l.InterLabelerAgreement)} ({I(l.Labelers)} labelers, {I(l.Pairs)} pairs)");
            if (l.LabelCeilingGold is not null || l.LabelCeilingUtility is not null)
                Add(DemoLayout.LabelStage, "agreement with the labels, all pairs (ties ½)", $"labelers' biased utility {Pct(l.LabelCeilingUtility)}, gold {Pct(l.LabelCeilingGold)}");
            Add(DemoLayout.LabelStage, "labels that follow the gold order", Pct(l.LabelsGoldAgreement));
            Add(DemoLayout.LabelStage, "chosen answer is the longer one", $"{Pct(l.ChosenLongerFraction)} of pairs");
        }

        if (!Missing(DemoLayout.RmStage, RewardModel))
        {
            var accs = RewardModel!.Where(m => m.Accuracy is not null).Select(m => m.Accuracy!.Value).ToList();
            var before = RewardModel!.Where(m => m.AccuracyBefore is not null).Select(m => m.AccuracyBefore!.Value).ToList();
            if (accs.Count > 0)
            {
                double mean = accs.Average();
                string range = accs.Count > 1 ? $", members {Pct(accs.Min())}–{Pct(accs.Max())}" : "";
                string untrained = before.Count > 0 ? $"; untrained {Pct(before.Average())}" : "";
                Add(DemoLayout.RmStage, $"held-out accuracy ({I(RewardModel!.Count)} member{(RewardModel!.Count == 1 ? "" : "s")})", $"{Pct(mean)} mean{range}{untrained}");
                CeilingRows(Add);
                if (Labels?.InterLabelerAgreement is > 0 and var agreement) Add(DemoLayout.RmStage, "accuracy ÷ inter-labeler agreement", Pct(mean / agreement));
            }
        }

        if (!Missing(DemoLayout.PpoKlStage, PpoKl)) PpoRows(DemoLayout.PpoKlStage, PpoKl!, Add);
        if (!Missing(DemoLayout.PpoStage, Ppo)) PpoRows(DemoLayout.PpoStage, Ppo!, Add);

        if (!Missing(DemoLayout.BonStage, BestOfN))
        {
            if (BestOfNFirst is { } first) Add(DemoLayout.BonStage, "n = 1 (plain SFT samples)", $"proxy {F(first.Proxy)}, gold {F(first.Gold)}");
            var last = BestOfNLargest!;
            Add(DemoLayout.BonStage, $"n = {I(last.N)} (√KL {F(last.SqrtKl)})", $"proxy {F(last.Proxy)}, gold {F(last.Gold)}");
        }

        if (!Missing(DemoLayout.DpoStage, Dpo))
        {
            var first = Dpo![0];
            var last = Dpo![^1];
            Add(DemoLayout.DpoStage, $"final evaluation (step {I(last.Step)})", $"KL {F(last.Kl)} (√KL {F(last.SqrtKl)}), gold {F(last.Gold)} (step {I(first.Step)}: {F(first.Gold)})");
            if (last.Accuracy is { } acc) Add(DemoLayout.DpoStage, "held-out preference accuracy", Pct(acc));
        }

        if (MatchedKl is { } m)
        {
            Add("matched KL", "target: best-of-N's largest √KL", F(m.TargetSqrtKl));
            foreach (var p in m.Points)
                Add("matched KL", $"{p.Method}, {p.Where}", $"gold {F(p.Gold)} at √KL {F(p.SqrtKl)}{(m.Matched(p) ? "" : " (KL not matched)")}");
        }

        if (!Missing(DemoLayout.GrpoStage, Grpo))
        {
            var g = Grpo!;
            if (g.Accuracy.Count > 0)
            {
                var best = g.Accuracy.MaxBy(p => p.Value)!;
                Add(DemoLayout.GrpoStage, "held-out accuracy, first → last", $"{Pct(g.Accuracy[0].Value)} (step {I(g.Accuracy[0].Step)}) → {Pct(g.Accuracy[^1].Value)} (step {I(g.Accuracy[^1].Step)})");
                Add(DemoLayout.GrpoStage, "best held-out accuracy", $"{Pct(best.Value)} at step {I(best.Step)}");
            }
            if (g.Reward.Count > 0)
            {
                var (a, b) = Ends(g.Reward);
                Add(DemoLayout.GrpoStage, "checker reward, first → last iterations", $"{F(a)} → {F(b)}");
            }
            if (g.FormatRate.Count > 0)
            {
                var (a, b) = Ends(g.FormatRate);
                Add(DemoLayout.GrpoStage, "format rate, first → last iterations", $"{Pct(a)} → {Pct(b)}");
            }
        }

        foreach (string name in DemoLayout.Stages)
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
