using System.Net;
using System.Text;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.BestOfN;
using static Rlhf.Cli.Demo.Report.DemoFormat;
using Rlhf.Training.Reporting;

namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// <c>report.html</c> of an <c>rlhf demo</c> directory: one self-contained page (inline CSS and SVG, no scripts, nothing
/// fetched) that tells the demo's story stage by stage for a newcomer — what ran, what happened, what to look at — with
/// every number read from the directory's files (<see cref="DemoSummary"/>) and every sentence that interprets a result
/// chosen by the data (a peak is called a peak only if there is one). Sections: summary table; data and base model;
/// human feedback and the reward model; PPO over iterations with the guard's and the gold peak's iterations marked;
/// reward vs √KL (Gao et al. 2022) for PPO, best-of-N and DPO with the fitted curves and a matched-KL comparison; DPO;
/// GRPO; sample completions; the commands that reproduce each stage; how to read the report.
/// </summary>
public static partial class DemoReport
{
    private const string ProxyColor = "#1f77b4", GoldColor = "#d62728", PpoColor = "#1f77b4", PpoKlColor = "#ff7f0e", BonColor = "#2ca02c", DpoColor = "#9467bd";

    /// <summary>Reads <paramref name="demoDir"/>, writes <c>report.html</c> into it atomically and returns its path.</summary>
    public static string Write(string demoDir) => Write(DemoSummary.Load(demoDir));

    /// <summary>Writes the report of an already loaded <paramref name="summary"/> into its directory atomically and returns the path.</summary>
    public static string Write(DemoSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        string path = Path.Combine(summary.Directory, DemoLayout.ReportFile);
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
            .Append(H($"{I(done)} of {I(DemoLayout.Stages.Count)} stages done · {Seconds(s.TotalSeconds)} of compute")).Append("</p>\n");
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

    // ================================================================ 8. reproduce, how to read

    private static void Reproduce(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='reproduce'>\n<h2>8. Reproduce each stage</h2>\n");
        P(sb, H($"Every stage ran ordinary rlhf commands, recorded in demo.json; run them yourself (same order) to reproduce a stage, or change a flag to experiment. "
            + (s.Seed is { } seed ? $"The seed ({seed}) fixes every number: the same seed reproduces them." : "")));
        foreach (string name in DemoLayout.Stages)
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
