using System.Net;
using System.Text;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.BestOfN;
using static Rlhf.Training.Reporting.Demo.DemoFormat;

namespace Rlhf.Training.Reporting.Demo;

/// <summary>
/// <c>report.html</c> of an <c>rlhf demo</c> directory: one self-contained page (inline CSS and SVG, no scripts, nothing
/// fetched) that tells the demo's story stage by stage for a newcomer — what ran, what happened, what to look at — with
/// every number read from the directory's files (<see cref="DemoSummary"/>) and every sentence that interprets a result
/// chosen by the data (a peak is called a peak only if there is one). Sections: summary table; data and base model;
/// human feedback and the reward model; PPO over iterations with the guard's and the gold peak's iterations marked;
/// reward vs √KL (Gao et al. 2022) for PPO, best-of-N and DPO with the fitted curves and a matched-KL comparison; DPO;
/// GRPO; sample completions; the commands that reproduce each stage; how to read the report.
/// </summary>
public static class DemoReport
{
    /// <summary>The report's file name inside the demo directory.</summary>
    public const string FileName = "report.html";

    private const string ProxyColor = "#1f77b4", GoldColor = "#d62728", PpoColor = "#1f77b4", PpoKlColor = "#ff7f0e", BonColor = "#2ca02c", DpoColor = "#9467bd";

    /// <summary>Reads <paramref name="demoDir"/>, writes <c>report.html</c> into it atomically and returns its path.</summary>
    public static string Write(string demoDir) => Write(DemoSummary.Load(demoDir));

    /// <summary>Writes the report of an already loaded <paramref name="summary"/> into its directory atomically and returns the path.</summary>
    public static string Write(DemoSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        string path = Path.Combine(summary.Directory, FileName);
        AtomicFile.WriteAllText(path, Html(summary));
        return path;
    }

    /// <summary>The report of <paramref name="summary"/> as an HTML document.</summary>
    public static string Html(DemoSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var sb = new StringBuilder();
        Head(sb, summary);
        Summary(sb, summary);
        DataAndBase(sb, summary);
        Feedback(sb, summary);
        Ppo(sb, summary);
        Gao(sb, summary);
        Dpo(sb, summary);
        Grpo(sb, summary);
        Samples(sb, summary);
        Reproduce(sb, summary);
        HowToRead(sb);
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static string H(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static void P(StringBuilder sb, string escapedHtml) => sb.Append("<p>").Append(escapedHtml).Append("</p>\n");

    private static void Missing(StringBuilder sb, DemoSummary s, params string[] stages)
    {
        foreach (string stage in stages)
        {
            string status = s.StageStatus(stage);
            string why = s.Problems.TryGetValue(stage, out string? problem) ? $"its outputs could not be read: {problem}"
                : status == DemoStage.Done ? "it finished but left no results" : status;
            sb.Append("<p class='missing'>Stage <b>").Append(H(stage)).Append("</b>: ").Append(H(why)).Append(".</p>\n");
        }
    }

    private static void Plot(StringBuilder sb, SvgPlot plot, int width = 560, int height = 330) =>
        sb.Append("<figure>").Append(plot.Render(width, height)).Append("</figure>\n");

    private static double[] X(IEnumerable<DemoPoint> points) => points.Select(p => (double)p.Step).ToArray();

    private static double[] Y(IEnumerable<DemoPoint> points) => points.Select(p => p.Value).ToArray();

    private static double[] X(IEnumerable<int> iterations) => iterations.Select(i => (double)i).ToArray();

    // ================================================================ head and summary

    private static void Head(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n<title>").Append(H(s.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n");
        sb.Append("<h1>").Append(H(s.Title)).Append("</h1>\n");
        int done = s.Stages.Count(x => x.IsDone);
        sb.Append("<p class='meta'>Directory <code>").Append(H(Path.GetFullPath(s.Directory))).Append("</code> · ")
            .Append(H($"{I(done)} of {I(DemoSummary.StageNames.Count)} stages done · {Seconds(s.TotalSeconds)} of compute")).Append("</p>\n");
        P(sb, "This page tells the story of one run of <code>rlhf demo</code>: a small language model is pretrained, taught to follow prompts (SFT), "
            + "judged by simulated human labelers, and then optimised against a <i>reward model</i> learnt from their judgements — with PPO, best-of-N "
            + "and DPO — while a hidden <i>gold</i> scorer (the labelers' own criterion) measures what we actually wanted. Every number below is read "
            + "from the files in the directory; each section says what happened and what to look at.");
        if (s.Quick)
            sb.Append("<p class='note'>This is a <code>--quick</code> demo: every stage ran at toy size to check the plumbing, so the numbers are mostly noise. "
                + "Run <code>rlhf demo</code> (without <code>--quick</code>) to see the story.</p>\n");
        sb.Append("<nav><b>Contents:</b> <a href='#summary'>summary</a> · <a href='#base'>data &amp; base model</a> · <a href='#feedback'>human feedback</a> · "
            + "<a href='#ppo'>PPO</a> · <a href='#gao'>reward vs KL</a> · <a href='#dpo'>DPO</a> · <a href='#grpo'>GRPO</a> · <a href='#samples'>samples</a> · "
            + "<a href='#reproduce'>reproduce</a> · <a href='#read'>how to read</a></nav>\n");
    }

    private static void Summary(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='summary'>\n<h2>Summary</h2>\n");
        P(sb, "The key figure of every stage. Rewards are on the gold scorer's scale (higher is better) unless called <i>proxy</i> "
            + "(the reward model's score, which is what the optimisers see). √KL is the distance from the SFT model (√nats).");
        sb.Append("<table class='summary'>\n<tr><th>stage</th><th>figure</th><th>value</th></tr>\n");
        string? previous = null;
        foreach (var r in s.Rows())
        {
            bool first = r.Stage != previous;
            sb.Append(first ? "<tr class='group'>" : "<tr>").Append("<td>").Append(first ? H(r.Stage) : "").Append("</td><td>").Append(H(r.Figure))
                .Append("</td><td>").Append(H(r.Value)).Append("</td></tr>\n");
            previous = r.Stage;
        }
        sb.Append("</table>\n</section>\n");
    }

    // ================================================================ 1. data and base model

    private static void DataAndBase(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='base'>\n<h2>1. Data and the base model</h2>\n");
        if (s.Data is { } d)
            P(sb, H($"The data is built in: {Count(d.Documents, "procedurally generated reviews")} for pretraining, {Count(d.Demonstrations, "prompt → review demonstrations")} for SFT, "
                + $"and disjoint prompt sets — {Count(d.LabelPrompts, "prompts")} to collect human feedback on, {Count(d.RlPrompts, "prompts")} for RL and {Count(d.EvalPrompts, "held-out prompts")} for evaluation. "
                + "Each review has a random mood; the gold scorer rates a text by the sentiment of its words."));
        else Missing(sb, s, "data");

        if (s.Pretrain is { } p)
            P(sb, H($"Pretraining (next-token prediction) brought the training loss from {F(p.Train[0].Value)} to {F(p.Train[^1].Value)} nats per token over {I(p.Train[^1].Step)} steps. ")
                + H(GapText(p)) + H("Look for a steep fall that flattens out; a loss that is still falling fast at the end means more steps would help."));
        else Missing(sb, s, "pretrain");
        if (s.Sft is { } f)
            P(sb, H($"SFT then fine-tuned the model on the demonstrations (loss on the response only): {F(f.Train[0].Value)} → {F(f.Train[^1].Value)}. ")
                + H(GapText(f)) + H("SFT teaches the format (answer the prompt with a review), not which reviews are good: that is what the feedback below is for."));
        else Missing(sb, s, "sft");
        sb.Append("<div class='row'>\n");
        if (s.Pretrain is { } pre) Plot(sb, LossPlot("Pretraining loss", pre));
        if (s.Sft is { } sft) Plot(sb, LossPlot("SFT loss", sft));
        sb.Append("</div>\n");
        sb.Append("</section>\n");
    }

    private static string Count(int? n, string what) => n is { } v ? $"{I(v)} {what}" : $"(unknown number of) {what}";

    private static string GapText(DemoLossCurve c)
    {
        if (c.Validation.Count == 0) return "";
        double val = c.Validation[^1].Value, train = c.Train[^1].Value;
        return val > 1.15 * train
            ? $"The held-out loss ({F(val)}) is well above the training loss: the model has started to memorise its training data. "
            : $"The held-out loss ends at {F(val)}, close to the training loss, so the model generalises rather than memorises. ";
    }

    private static SvgPlot LossPlot(string title, DemoLossCurve c)
    {
        var plot = new SvgPlot(title, "step", "loss (nats/token)");
        plot.Add("training", X(c.Train), Y(c.Train), markers: c.Train.Count <= 40, color: ProxyColor);
        if (c.Validation.Count > 0) plot.Add("held-out", X(c.Validation), Y(c.Validation), markers: true, color: GoldColor);
        return plot;
    }

    // ================================================================ 2. human feedback

    private static void Feedback(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='feedback'>\n<h2>2. Human feedback and the reward model</h2>\n");
        var l = s.Labels;
        if (l is not null)
        {
            P(sb, H($"The SFT model wrote several answers to each of {I(l.Records)} prompts, and {I(l.Labelers)} simulated labelers ranked them ({I(l.Pairs)} comparisons in all). "
                + "The labelers judge by the gold scorer, but noisily and with a human-like liking for longer answers. ")
                + H(l.InterLabelerAgreement is { } a ? $"Two labelers agree on {Pct(a)} of pairs. " : "")
                + H(l.GoldCeiling is { } c ? $"Even a perfect reward model — the gold scorer itself — would agree with these noisy labels only {Pct(c)} of the time: that is the ceiling for any reward model's accuracy. " : "")
                + H(l.LabelsGoldAgreement is { } g ? $"The labels follow the gold order on {Pct(g)} of pairs. " : "")
                + H($"The chosen answer is the longer one in {Pct(l.ChosenLongerFraction)} of pairs ({l.ChosenCharsMean:0} vs {l.RejectedCharsMean:0} characters on average)."));
        }
        else Missing(sb, s, "label");

        if (s.RewardModel is { Count: > 0 } members)
        {
            var accs = members.Where(m => m.Accuracy is not null).Select(m => m.Accuracy!.Value).ToList();
            sb.Append("<table class='bars'>\n<tr><th></th><th>held-out pairwise accuracy</th><th></th><th>before training</th><th>÷ ceiling</th></tr>\n");
            foreach (var m in members) Bar(sb, $"RM {m.Name}", m.Accuracy, BonColor, Pct(m.AccuracyBefore), l?.GoldCeiling is > 0 && m.Accuracy is { } ma ? Pct(ma / l.GoldCeiling.Value) : "");
            if (l?.GoldCeiling is { } ceil) Bar(sb, "gold ceiling", ceil, "#888", "", "");
            if (l?.InterLabelerAgreement is { } agree) Bar(sb, "inter-labeler agreement", agree, "#bbb", "", "");
            Bar(sb, "chance", 0.5, "#ddd", "", "");
            sb.Append("</table>\n");
            if (accs.Count > 0)
            {
                double mean = accs.Average();
                string verdict = mean <= 0.55 ? "barely above chance (50%): the reward model has learnt little, so anything optimised against it chases noise"
                    : l?.GoldCeiling is { } ceiling && mean >= 0.95 * ceiling ? "at the ceiling: there is little more to learn from these labels"
                    : l?.GoldCeiling is { } ceiling2 && mean >= 0.8 * ceiling2 ? "most of the way to the ceiling"
                    : l?.GoldCeiling is not null ? "well below the ceiling: more labels or epochs would help"
                    : "(no ceiling to compare with)";
                P(sb, H($"A reward-model ensemble of {I(members.Count)} was trained on the rankings. On held-out comparisons its members are right {Pct(mean)} of the time on average — {verdict}. ")
                    + H("Its score is the proxy reward that PPO and best-of-N maximise below; the members' disagreement is a warning sign of inputs the labels never covered."));
            }
        }
        else Missing(sb, s, "rm");
        sb.Append("</section>\n");
    }

    private static void Bar(StringBuilder sb, string label, double? value, string color, string before, string ratio)
    {
        double v = Math.Clamp(value ?? 0, 0, 1);
        sb.Append("<tr><td>").Append(H(label)).Append("</td><td><div class='bar'><div style='width:").Append(H((100 * v).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)))
            .Append("%;background:").Append(H(color)).Append("'></div></div></td><td>").Append(H(Pct(value))).Append("</td><td>").Append(H(before)).Append("</td><td>").Append(H(ratio)).Append("</td></tr>\n");
    }

    // ================================================================ 3. PPO

    private static void Ppo(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='ppo'>\n<h2>3. PPO against the reward model</h2>\n");
        if (s.Ppo is not { } ppo)
        {
            Missing(sb, s, "ppo");
            sb.Append("</section>\n");
            return;
        }
        var c = ppo.Curve;
        var raw = ppo.Raw;
        int last = ppo.LastIndex;
        P(sb, H($"PPO optimised the SFT model against the reward model for {I(c.Iterations[^1])} iterations with no KL penalty, so nothing holds it near the SFT model. "
            + "Each iteration samples answers, scores them with the reward model (proxy) and — only for this report — with the gold scorer, which PPO never sees. ")
            + H(ppo.Window > 1 ? $"Thick lines are {I(ppo.Window)}-iteration moving averages of the faint per-iteration values; the numbers quoted use the averages. " : ""));

        var markers = Markers(ppo);
        var rewards = new SvgPlot("Proxy (RM) and gold reward per iteration", "iteration", "reward");
        double[] it = X(c.Iterations);
        bool many = it.Length > 40;
        if (ppo.Window > 1)
        {
            rewards.Add("proxy (raw)", it, raw.Proxy, markers: false, color: "#aec7e8");
            if (raw.Gold is not null) rewards.Add("gold (raw)", it, raw.Gold, markers: false, color: "#f7b6b6");
        }
        rewards.Add("proxy", it, c.Proxy, markers: !many, color: ProxyColor);
        if (c.Gold is not null) rewards.Add("gold", it, c.Gold, markers: !many, color: GoldColor);
        var kl = new SvgPlot("Distance from the SFT model", "iteration", "√KL (√nats)").Add("√KL", it, c.SqrtKl, markers: !many, color: "#555");
        var length = new SvgPlot("Response length", "iteration", "tokens").Add("mean length", X(ppo.ResponseLength), Y(ppo.ResponseLength), markers: !many, color: "#ff7f0e");
        var std = new SvgPlot("Reward-model disagreement", "iteration", "ensemble std").Add("std over members", X(ppo.EnsembleStd), Y(ppo.EnsembleStd), markers: !many, color: "#8c564b");
        foreach (var plot in new[] { rewards, kl, length, std })
            foreach (var (x, label) in markers) plot.AddMarker(x, label);
        sb.Append("<div class='row'>\n");
        Plot(sb, rewards);
        Plot(sb, kl);
        if (ppo.ResponseLength.Count > 0) Plot(sb, length);
        if (ppo.EnsembleStd.Count > 0) Plot(sb, std);
        sb.Append("</div>\n");

        var text = new StringBuilder();
        text.Append(H($"The proxy reward went from {F(c.Proxy[0])} to {F(c.Proxy[last])} ({Signed(c.Proxy[last] - c.Proxy[0])}) while the policy moved to √KL {F(c.SqrtKl[last])} from the SFT model. "));
        if (c.Gold is { } gold && ppo.PeakIndex is { } peak)
        {
            if (peak == last)
                text.Append(H($"The gold reward rose from {F(gold[0])} to {F(gold[last])} and was still at its highest at the last iteration: no over-optimisation is visible in this run (a longer run, e.g. --set PpoIterations=300, would show whether it comes). "));
            else
            {
                double fall = gold[peak] - gold[last], proxyAfter = c.Proxy[last] - c.Proxy[peak];
                text.Append(H($"The gold reward went from {F(gold[0])} to a peak of {F(gold[peak])} at iteration {I(c.Iterations[peak])} (√KL {F(c.SqrtKl[peak])}), then fell by {F(fall)} to {F(gold[last])} at the end"));
                text.Append(H(proxyAfter > 0
                    ? $", while the proxy kept rising ({Signed(proxyAfter)} after the peak). That is over-optimisation (Goodhart's law): past the peak the policy is exploiting the reward model's mistakes, not getting better. "
                    : $"; the proxy fell too after the peak ({Signed(proxyAfter)}), so this is not the reward model being exploited. "));
            }
        }
        else text.Append(H("No gold reward was logged, so over-optimisation cannot be seen here. "));
        if (ppo.Guard is { } g)
        {
            text.Append(H(g.StopIteration is { } stop
                ? $"The reward-hacking guard watched without acting (--guard-observe); it would have stopped the run at iteration {I(stop)} ({g.StopReason}). "
                : $"The reward-hacking guard watched without acting (--guard-observe) and never fired in {I(g.Iterations)} iterations. "));
            if (g.KeptIteration is { } kept)
                text.Append(H($"The checkpoint it keeps (ppo/best/) is iteration {I(kept)}, with gold {F(g.KeptGold)} that iteration"
                    + (g.GoldFinal is { } fin ? $", against {F(fin)} at the end" : "") + (g.GoldPeak is { } gp && g.GoldPeakIteration is { } gpi ? $" and the per-iteration best {F(gp)} at iteration {I(gpi)}. " : ". ")));
        }
        else text.Append(H("There is no guard replay (ppo/guard.json). "));
        text.Append(H("Also watch the response length and the ensemble's disagreement: a policy that games a reward model often drifts to odd lengths and to texts the members disagree on."));
        P(sb, text.ToString());
        PpoKl(sb, s);
        sb.Append("</section>\n");
    }

    /// <summary>The PPO run with the KL penalty (InstructGPT's recipe): the same reward model, the policy held near the SFT model.</summary>
    private static void PpoKl(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<h3>With the KL penalty</h3>\n");
        if (s.PpoKl is not { } run)
        {
            Missing(sb, s, "ppo_kl");
            return;
        }
        var c = run.Curve;
        int last = run.LastIndex;
        double[] it = X(c.Iterations);
        bool many = it.Length > 40;
        var rewards = new SvgPlot("With the KL penalty: proxy and gold per iteration", "iteration", "reward");
        rewards.Add("proxy", it, c.Proxy, markers: !many, color: ProxyColor);
        if (c.Gold is not null) rewards.Add("gold", it, c.Gold, markers: !many, color: GoldColor);
        var kl = new SvgPlot("With the KL penalty: distance from the SFT model", "iteration", "√KL (√nats)").Add("√KL", it, c.SqrtKl, markers: !many, color: "#555");
        sb.Append("<div class='row'>\n");
        Plot(sb, rewards);
        Plot(sb, kl);
        sb.Append("</div>\n");
        var text = new StringBuilder(H($"The same PPO against the same reward model, but with a per-token KL penalty to the SFT model in the reward (InstructGPT's r − β·KL; the command is under Reproduce, stage ppo_kl). "
            + $"Its proxy went from {F(c.Proxy[0])} to {F(c.Proxy[last])} at √KL {F(c.SqrtKl[last])}"));
        if (c.Gold is { } gold && run.PeakIndex is { } peak)
            text.Append(H(peak == last || gold[last] >= gold[peak] - 0.05
                ? $"; the gold reward went from {F(gold[0])} to {F(gold[last])} (peak {F(gold[peak])} at iteration {I(c.Iterations[peak])}): held near the SFT model, PPO improved what the reward model was meant to measure. "
                : $"; the gold reward went from {F(gold[0])} to a peak of {F(gold[peak])} at iteration {I(c.Iterations[peak])} and ended at {F(gold[last])}: even with the penalty the policy drifted into exploiting the reward model. "));
        else text.Append(H(". "));
        if (s.Ppo is { } free && free.Curve.Gold is { } freeGold)
            text.Append(H($"Compare the unleashed run above: gold {F(freeGold[free.LastIndex])} at √KL {F(free.Curve.SqrtKl[free.LastIndex])}. The KL penalty is what keeps RLHF on the rising part of the gold curve."));
        P(sb, text.ToString());
    }

    /// <summary>Vertical markers for the PPO plots: the gold peak, the guard's stop and its kept iteration (merged where they coincide).</summary>
    private static List<(double X, string Label)> Markers(DemoPpo ppo)
    {
        var labels = new SortedDictionary<int, List<string>>();
        void Mark(int? iteration, string label)
        {
            if (iteration is not { } i) return;
            if (!labels.TryGetValue(i, out var list)) labels[i] = list = [];
            list.Add(label);
        }
        Mark(ppo.Curve.GoldPeakIteration, "gold peak");
        Mark(ppo.Guard?.StopIteration, "guard stops");
        Mark(ppo.Guard?.KeptIteration, "guard keeps");
        return labels.Select(kv => ((double)kv.Key, string.Join(" = ", kv.Value))).ToList();
    }

    // ================================================================ 4. reward vs √KL

    private static void Gao(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='gao'>\n<h2>4. Reward vs KL: the over-optimisation figure (Gao et al. 2022)</h2>\n");
        P(sb, "Gao, Schulman and Hilton (<i>Scaling Laws for Reward Model Overoptimization</i>, 2022) plot reward against the distance "
            + "d = √KL(π ‖ π<sub>SFT</sub>) the optimiser moved the policy. The proxy reward keeps rising with d, the gold reward rises, peaks and falls. "
            + "They fit best-of-N with R<sub>bon</sub>(d) = d(α − βd) and RL with R<sub>RL</sub>(d) = d(α − β·ln d), R the gain over the SFT model. "
            + "Solid lines are proxy, dashed gold, dotted the fits; a method is better at a given KL budget if its gold curve is higher at that d.");
        if (s.Ppo is null && s.BestOfN is null)
        {
            Missing(sb, s, "ppo", "bon");
            sb.Append("</section>\n");
            return;
        }
        var plot = new SvgPlot("Reward vs √KL: proxy (solid), gold (dashed), fits (dotted)", "√KL(π ‖ π_SFT) (√nats)", "reward");
        var fits = new List<(string Method, string Reward, string Form, double Alpha, double Beta, double Rmse, double? Peak, double DMax)>();
        double[] Grid(double max) => Enumerable.Range(0, 61).Select(i => max * i / 60).ToArray();
        void AddRl(DemoPpo ppo, string color, string fitColor)
        {
            var c = ppo.Curve;
            bool many = c.SqrtKl.Count > 40;
            plot.Add($"{c.Label} proxy", c.SqrtKl, c.Proxy, markers: !many, color: color);
            if (c.Gold is not null) plot.Add($"{c.Label} gold", c.SqrtKl, c.Gold, dashed: true, markers: !many, color: color);
            var grid = Grid(c.SqrtKl.Max());
            if (c.ProxyFit is { } pf)
            {
                plot.Add($"{c.Label} proxy fit", grid, grid.Select(d => c.Proxy[0] + pf.Predict(d)).ToArray(), dotted: true, color: color);
                fits.Add((c.Label, "proxy", "d(α − β ln d)", pf.Alpha, pf.Beta, pf.Rmse, pf.PeakDistance, grid[^1]));
            }
            if (c.GoldFit is { } gf && c.Gold is { } gold)
            {
                plot.Add($"{c.Label} gold fit", grid, grid.Select(d => gold[0] + gf.Predict(d)).ToArray(), dotted: true, color: fitColor);
                fits.Add((c.Label, "gold", "d(α − β ln d)", gf.Alpha, gf.Beta, gf.Rmse, gf.PeakDistance, grid[^1]));
            }
        }
        if (s.Ppo is { } ppo) AddRl(ppo, PpoColor, "#6baed6");
        if (s.PpoKl is { } ppoKl) AddRl(ppoKl, PpoKlColor, "#fdae6b");
        if (s.BestOfN is { } bon)
        {
            var pts = bon.Points.OrderBy(p => p.N).ToList();
            var d = pts.Select(p => p.SqrtKl).ToArray();
            plot.Add("best-of-N proxy", d, pts.Select(p => p.Proxy).ToArray(), color: BonColor);
            bool hasGold = pts.All(p => p.Gold is not null);
            if (hasGold) plot.Add("best-of-N gold", d, pts.Select(p => p.Gold!.Value).ToArray(), dashed: true, markers: true, color: BonColor);
            var grid = Grid(d.Max());
            if (s.BestOfNFirst is { } first)
            {
                if (bon.ProxyFit is { } pf)
                {
                    plot.Add("best-of-N proxy fit", grid, grid.Select(x => first.Proxy + pf.Predict(x)).ToArray(), dotted: true, color: BonColor);
                    fits.Add(("best-of-N", "proxy", "d(α − βd)", pf.Alpha, pf.Beta, pf.Rmse, pf.PeakDistance, grid[^1]));
                }
                if (bon.GoldFit is { } gf && first.Gold is { } g1)
                {
                    plot.Add("best-of-N gold fit", grid, grid.Select(x => g1 + gf.Predict(x)).ToArray(), dotted: true, color: "#98df8a");
                    fits.Add(("best-of-N", "gold", "d(α − βd)", gf.Alpha, gf.Beta, gf.Rmse, gf.PeakDistance, grid[^1]));
                }
            }
        }
        if (s.Dpo is { Count: > 0 } dpo) plot.Add("DPO gold", dpo.Select(p => p.SqrtKl).ToArray(), dpo.Select(p => p.Gold).ToArray(), dashed: true, markers: true, color: DpoColor);
        Plot(sb, plot, 900, 480);

        if (fits.Count > 0)
        {
            sb.Append("<table class='fits'>\n<tr><th>method</th><th>reward</th><th>gain R(d) ≈</th><th>α</th><th>β</th><th>rmse</th><th>peak at √KL</th></tr>\n");
            foreach (var f in fits)
                sb.Append("<tr><td>").Append(H(f.Method)).Append("</td><td>").Append(H(f.Reward)).Append("</td><td>").Append(H(f.Form)).Append("</td><td>").Append(H(F(f.Alpha)))
                    .Append("</td><td>").Append(H(F(f.Beta))).Append("</td><td>").Append(H(F(f.Rmse))).Append("</td><td>").Append(H(PeakText(f.Peak, f.DMax))).Append("</td></tr>\n");
            sb.Append("</table>\n");
            var text = new StringBuilder();
            foreach (var f in fits.Where(f => f.Reward == "gold"))
                text.Append(H(f.Peak is not { } pk
                    ? f.Alpha > 0 ? $"{f.Method}'s gold fit has β = {F(f.Beta)} ≤ 0: it predicts no peak, gold keeps rising with KL. "
                    : $"{f.Method}'s gold fit has β = {F(f.Beta)} ≤ 0 (no peak) and α = {F(f.Alpha)} ≤ 0 (it starts below the SFT model): the form does not capture this run's shape; read the measured points instead. "
                    : pk > FarPeak * f.DMax ? $"{f.Method}'s gold fit has β = {F(f.Beta)} > 0, but its peak lies far beyond the data (√KL ≈ {Big(pk)}): in this range gold shows no peak. "
                    : $"{f.Method}'s gold fit has β = {F(f.Beta)} > 0: it predicts gold to peak at √KL ≈ {F(pk)}{(pk <= f.DMax ? " (inside the data)" : " (beyond the data)")} and to fall after it. "));
            text.Append(H("With few or noisy points the fits are rough; trust the shape more than the digits."));
            P(sb, text.ToString());
        }

        if (s.MatchedKl is { } m)
        {
            sb.Append("<h3>At a matched KL budget</h3>\n");
            sb.Append("<table>\n<tr><th>method</th><th>where</th><th>√KL</th><th>proxy</th><th>gold</th><th>KL matched?</th></tr>\n");
            foreach (var p in m.Points)
                sb.Append("<tr><td>").Append(H(p.Method)).Append("</td><td>").Append(H(p.Where)).Append("</td><td>").Append(H(F(p.SqrtKl))).Append("</td><td>").Append(H(F(p.Proxy)))
                    .Append("</td><td>").Append(H(F(p.Gold))).Append("</td><td>").Append(H(m.Matched(p) ? "yes" : "no")).Append("</td></tr>\n");
            sb.Append("</table>\n");
            P(sb, H(MatchedText(m)));
        }
        sb.Append("</section>\n");
    }

    /// <summary>A fitted peak beyond this multiple of the largest observed √KL is "far beyond the data".</summary>
    private const double FarPeak = 3;

    private static string PeakText(double? peak, double dMax) =>
        peak is not { } p ? "none (β ≤ 0)" : p > FarPeak * dMax ? $"far beyond the data ({Big(p)})" : F(p);

    private static string Big(double v) => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);

    private static string MatchedText(DemoMatchedKl m)
    {
        var text = new StringBuilder($"Best-of-N's largest n sits at √KL {F(m.TargetSqrtKl)}. ");
        var bon = m.Points.FirstOrDefault(p => p.Method.StartsWith("best-of-", StringComparison.Ordinal));
        var dpo = m.Points.FirstOrDefault(p => p.Method == "DPO");
        foreach (var ppo in m.Points.Where(p => p.Method.StartsWith("PPO", StringComparison.Ordinal)))
        {
            if (bon is null) break;
            if (!m.Matched(ppo))
                text.Append($"{ppo.Method}'s closest iteration is at √KL {F(ppo.SqrtKl)}, not close enough for a fair comparison. ");
            else if (ppo.Gold is { } pg && bon.Gold is { } bg)
                text.Append($"{ppo.Method}'s {ppo.Where} is at about the same distance (√KL {F(ppo.SqrtKl)}) with gold {F(pg)}, against best-of-N's {F(bg)}: "
                    + (Math.Abs(pg - bg) < 0.02 ? "the two are level. " : pg > bg ? $"{ppo.Method} gets more gold for the same KL. " : "best-of-N gets more gold for the same KL. "));
        }
        if (dpo is not null)
            text.Append(m.Matched(dpo)
                ? $"DPO ended at a comparable √KL {F(dpo.SqrtKl)} with gold {F(dpo.Gold)}. "
                : $"DPO ended at √KL {F(dpo.SqrtKl)} — a different budget — with gold {F(dpo.Gold)}; compare it with the other curves at its own d on the figure. ");
        return text.ToString();
    }

    // ================================================================ 5. DPO

    private static void Dpo(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='dpo'>\n<h2>5. DPO: learning from the rankings directly</h2>\n");
        if (s.Dpo is not { Count: > 0 } dpo)
        {
            Missing(sb, s, "dpo");
            sb.Append("</section>\n");
            return;
        }
        var first = dpo[0];
        var last = dpo[^1];
        if (dpo.Count >= 2)
        {
            var plot = new SvgPlot("DPO at its evaluations", "step", "gold reward / √KL");
            plot.Add("gold", dpo.Select(p => (double)p.Step).ToArray(), dpo.Select(p => p.Gold).ToArray(), markers: true, color: GoldColor);
            plot.Add("√KL", dpo.Select(p => (double)p.Step).ToArray(), dpo.Select(p => p.SqrtKl).ToArray(), markers: true, color: "#555");
            sb.Append("<div class='row'>\n");
            Plot(sb, plot);
            sb.Append("</div>\n");
        }
        double change = last.Gold - first.Gold;
        P(sb, H("DPO (Rafailov et al. 2023) trains the policy on the same rankings with a classification-style loss — no reward model, no sampling during training. ")
            + H($"By its last evaluation (step {I(last.Step)}) the policy moved to KL {F(last.Kl)} (√KL {F(last.SqrtKl)}) from the SFT model and its answers' gold reward went from {F(first.Gold)} to {F(last.Gold)} ({Signed(change)}")
            + H(last.Accuracy is { } acc ? $"; it prefers the labelers' choice on {Pct(acc)} of held-out pairs). " : "). ")
            + H(Math.Abs(change) < 0.02 ? "The gold reward barely moved: DPO stayed close to the SFT model. "
                : change > 0 ? "Gold improved without a reward model to exploit. " : "Gold went down: the preferences it learnt did not carry over to better answers here. ")
            + H("Its point on the reward-vs-KL figure shows how much gold it bought per unit of KL, compared with PPO and best-of-N."));
        sb.Append("</section>\n");
    }

    // ================================================================ 6. GRPO

    private static void Grpo(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='grpo'>\n<h2>6. GRPO with a verifiable reward</h2>\n");
        if (s.Grpo is not { } g)
        {
            Missing(sb, s, "grpo");
            sb.Append("</section>\n");
            return;
        }
        var plot = new SvgPlot("GRPO on addition", "iteration", "fraction").CoverY(0, 1);
        if (g.Reward.Count > 0) plot.Add("reward (train)", X(g.Reward), Y(g.Reward), markers: g.Reward.Count <= 40, color: ProxyColor);
        if (g.FormatRate.Count > 0) plot.Add("format rate", X(g.FormatRate), Y(g.FormatRate), markers: g.FormatRate.Count <= 40, color: "#ff7f0e");
        if (g.Accuracy.Count > 0) plot.Add("held-out accuracy", X(g.Accuracy), Y(g.Accuracy), markers: true, color: GoldColor);
        sb.Append("<div class='row'>\n");
        if (plot.SeriesCount > 0) Plot(sb, plot);
        sb.Append("</div>\n");
        var text = new StringBuilder(H("Here the reward is not learnt: a checker compares the model's final answer to a sum with the right one (1 if exact, else 0), so there is nothing to game. "
            + "GRPO (Shao et al. 2024) samples a group of answers per problem and pushes up the ones that beat their group's mean — no value network, no reward model. "));
        if (g.Accuracy.Count > 0)
        {
            var a0 = g.Accuracy[0];
            var a1 = g.Accuracy[^1];
            var best = g.Accuracy.MaxBy(p => p.Value)!;
            text.Append(H($"Held-out exact-match accuracy went from {Pct(a0.Value)} (step {I(a0.Step)}) to {Pct(a1.Value)} (step {I(a1.Step)}), best {Pct(best.Value)} at step {I(best.Step)}. "));
            text.Append(H(g.Accuracy.All(p => p.Value == 0)
                ? "The model never got a held-out problem right; when every answer in a group is wrong the rewards are all equal and GRPO has nothing to learn from. "
                : a1.Value > a0.Value + 0.05 ? $"Accuracy rose by {(100 * (a1.Value - a0.Value)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} points: unlike the proxy reward above, this number cannot rise without the answers getting better (on a small held-out set a few problems make a big step, so read the trend, not one evaluation). "
                : a1.Value < a0.Value - 0.05 ? "Accuracy fell over training. " : "Accuracy did not change much over training. "));
        }
        else text.Append(H("No held-out accuracy was logged. "));
        if (g.Reward.Count > 0)
        {
            var (r0, r1) = DemoSummary.Ends(g.Reward);
            text.Append(H($"The training reward (fraction of sampled answers correct) went from {F(r0)} to {F(r1)} over the first and last iterations. "));
        }
        if (g.FormatRate.Count > 0)
        {
            var (f0, f1) = DemoSummary.Ends(g.FormatRate);
            text.Append(H($"The format rate (answers the checker could read at all) went from {Pct(f0)} to {Pct(f1)}: a model must first learn the format before it can be right. "));
        }
        P(sb, text.ToString());
        sb.Append("</section>\n");
    }

    // ================================================================ 7. samples

    private static void Samples(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='samples'>\n<h2>7. Sample completions</h2>\n");
        if (s.Samples is not { } t || t.Methods.Count == 0)
        {
            Missing(sb, s, "samples");
            sb.Append("</section>\n");
            return;
        }
        P(sb, H("The same held-out prompts answered by each model (temperature 1, same seed), each answer with its gold score (the hidden truth) and proxy score (the reward model's). "
            + "The best gold in each row is in bold. Look for answers whose proxy is high but gold is low: that is what reward hacking looks like in text."));
        sb.Append("<table class='samples'>\n<tr><th>prompt</th>");
        foreach (var m in t.Methods) sb.Append("<th>").Append(H(m.Name)).Append("</th>");
        sb.Append("</tr>\n");
        static double? At(IReadOnlyList<double>? list, int i) => list is not null && i < list.Count ? list[i] : null;
        for (int i = 0; i < t.Prompts.Count; i++)
        {
            double? bestGold = t.Methods.Select(m => At(m.Gold, i)).Max();
            sb.Append("<tr><td class='prompt'>").Append(H(t.Prompts[i])).Append("</td>");
            foreach (var m in t.Methods)
            {
                string text = m.Completions is not null && i < m.Completions.Count ? m.Completions[i] : "";
                double? gold = At(m.Gold, i), proxy = At(m.Proxy, i);
                sb.Append("<td>").Append(text.Length == 0 ? "<i>(empty)</i>" : H(text)).Append("<div class='scores'>")
                    .Append(gold is not null && gold == bestGold ? "<b>gold " + H(F(gold)) + "</b>" : "gold " + H(F(gold))).Append(" · proxy ").Append(H(F(proxy))).Append("</div></td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("<tr class='means'><td>mean</td>");
        foreach (var m in t.Methods)
            sb.Append("<td>gold ").Append(H(m.Gold is { Count: > 0 } g ? F(g.Average()) : "n/a")).Append(" · proxy ").Append(H(m.Proxy is { Count: > 0 } p ? F(p.Average()) : "n/a")).Append("</td>");
        sb.Append("</tr>\n</table>\n</section>\n");
    }

    // ================================================================ 8. reproduce, how to read

    private static void Reproduce(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='reproduce'>\n<h2>8. Reproduce each stage</h2>\n");
        P(sb, H($"Every stage ran ordinary rlhf commands, recorded in demo.json; run them yourself (same order) to reproduce a stage, or change a flag to experiment. "
            + (s.Seed is { } seed ? $"The seed ({seed}) fixes every number: the same seed reproduces them." : "")));
        foreach (string name in DemoSummary.StageNames)
        {
            var stage = s.Stage(name);
            sb.Append("<h3>").Append(H(name)).Append(" <span class='status'>").Append(H(stage is null ? "not run" : stage.Seconds is { } sec ? $"{stage.Status}, {Seconds(sec)}" : stage.Status)).Append("</span></h3>\n");
            if (stage?.Commands is { Count: > 0 } commands) sb.Append("<pre>").Append(H(string.Join("\n", commands))).Append("</pre>\n");
            else if (stage is not null) sb.Append("<p class='missing'>No rlhf command recorded (the demo did this step itself).</p>\n");
        }
        sb.Append("</section>\n");
    }

    private static void HowToRead(StringBuilder sb)
    {
        sb.Append("<section id='read'>\n<h2>How to read this report</h2>\n<ul>\n");
        foreach (string item in new[]
        {
            "<b>Proxy vs gold.</b> The proxy is the reward model's score — what PPO and best-of-N maximise. The gold is the hidden scorer the simulated labelers followed — what we actually want. RLHF works while both rise; when the proxy rises and gold falls, the policy is exploiting the reward model.",
            "<b>√KL</b> measures how far a policy has moved from the SFT model. More KL buys more proxy reward; the question is how much gold it buys. The reward-vs-KL figure compares methods at equal distance.",
            "<b>The ceiling.</b> Labels are noisy, so no reward model can agree with held-out labels more often than the gold scorer itself does. A reward model near the ceiling has learnt what the labels can teach.",
            "<b>The guard</b> watches PPO's metrics (gold drop where gold is known, reward-model disagreement, KL, length, repetition) and says where it would stop and which checkpoint it would keep; in the demo it only observes, so you can see the whole run.",
            "<b>GRPO's reward is verifiable</b>: an exact checker cannot be fooled, so its accuracy curve is the honest counterpart of the PPO curves.",
            "<b>Quick vs full.</b> A <code>--quick</code> demo checks that everything runs; its curves are too short and noisy to show the effects. Numbers differ with the seed; the shapes should not.",
            "More detail on each section and on what good and bad look like: <code>docs/demo.md</code> in the repository.",
        })
            sb.Append("<li>").Append(item).Append("</li>\n");
        sb.Append("</ul>\n</section>\n");
    }

    private const string Css = """
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; background: #fafafa; margin: 0; line-height: 1.45; }
        main { max-width: 1160px; margin: 0 auto; padding: 16px 28px 48px; background: white; }
        h1 { margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; } h3 { margin-bottom: 4px; }
        .meta { color: #666; margin-top: 0; } .note { background: #fff6d6; border-left: 4px solid #e0b000; padding: 8px 12px; }
        .missing { color: #a33; font-style: italic; } .status { color: #777; font-weight: normal; font-size: 0.85em; }
        nav { background: #f2f4f7; padding: 8px 12px; border-radius: 4px; }
        table { border-collapse: collapse; margin: 10px 0; font-size: 0.92em; }
        th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #f2f4f7; } tr.group td { border-top: 2px solid #bbb; }
        table.fits td, table.fits th { white-space: nowrap; }
        table.summary td:first-child { font-weight: bold; white-space: nowrap; }
        table.samples { font-size: 0.85em; table-layout: fixed; width: 100%; } table.samples td { word-wrap: break-word; }
        td.prompt { font-weight: bold; background: #fafafa; } .scores { color: #555; font-size: 0.9em; margin-top: 4px; } tr.means td { background: #f2f4f7; }
        .bar { width: 320px; height: 14px; background: #f0f0f0; } .bar div { height: 14px; }
        .row { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 8px 0; }
        pre { background: #f6f8fa; padding: 8px 12px; overflow-x: auto; font-size: 0.85em; white-space: pre-wrap; word-break: break-all; }
        code { background: #f2f4f7; padding: 0 3px; }

        """;
}
