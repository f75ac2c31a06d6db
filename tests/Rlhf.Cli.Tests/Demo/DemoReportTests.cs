using System.Text.RegularExpressions;
using System.Xml.Linq;
using Rlhf.Training.Common;
using Rlhf.Training.Reporting;
using Rlhf.Cli.Demo.Report;
using Rlhf.Training.Tests;

namespace Rlhf.Cli.Tests.Demo;

/// <summary>
/// The demo summary and report on a synthetic demo directory (<see cref="DemoFixture"/>) whose numbers are known: the
/// PPO gold peak, the guard, the matched-KL pick, GRPO's accuracies, stages not run or failed, and an HTML page that
/// holds its plots and escapes every text it quotes.
/// </summary>
public sealed class DemoReportTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static string Value(IReadOnlyList<DemoRow> rows, string stage, string figure) =>
        Assert.Single(rows, r => r.Stage == stage && r.Figure == figure).Value;

    [Fact]
    public void Summary_ReportsThePpoPeak_TheGuard_TheMatchedKlPick_AndGrpo()
    {
        string dir = _tmp.File("demo");
        DemoFixture.Write(dir);
        var s = DemoSummary.Load(dir);
        Assert.Empty(s.Problems);
        Assert.Equal(7UL, s.Seed);
        Assert.False(s.Quick);

        // PPO: 20 iterations → no smoothing; gold peaks at iteration 8 (√KL 0.7) and falls while the proxy rises
        var ppo = s.Ppo!;
        Assert.Equal(1, ppo.Window);
        Assert.Equal(DemoFixture.PeakIteration, ppo.Curve.GoldPeakIteration);
        var rows = s.Rows();
        Assert.Equal("0.400 at iteration 8, √KL 0.700", Value(rows, "ppo", "gold peak"));
        Assert.Equal("proxy 2.000, gold -0.200, √KL 1.900", Value(rows, "ppo", "end, iteration 20"));
        Assert.Equal("yes: after the peak gold fell by 0.600 while the proxy rose by 1.200", Value(rows, "ppo", "over-optimisation"));
        Assert.Equal("would stop at iteration 12 (gold dropped <fast>); keeps iteration 8, gold 0.400", Value(rows, "ppo", "guard"));
        Assert.Equal("gold_drop, kl_budget", DemoSummary.ShortReason(
            "reward-hacking guard stopped the run at iteration 7: gold_drop: gold reward -0.52 (EMA) is 0.06 below its peak (3/3 iterations); kl_budget: KL 9 > 8; best iteration 2 (gold_reward -0.27)"));

        // matched KL: best-of-8's √KL = √(ln 8 − 7/8) ≈ 1.0975; PPO's closest iteration is 12 (√KL 1.1, gold 0.2); DPO is far off
        var m = s.MatchedKl!;
        Assert.Equal(Math.Sqrt(Math.Log(8) - 7.0 / 8), m.TargetSqrtKl, 12);
        var ppoPoint = Assert.Single(m.Points, p => p.Method == "PPO");
        Assert.Equal("iteration 12", ppoPoint.Where);
        Assert.Equal(1.1, ppoPoint.SqrtKl, 12);
        Assert.Equal(DemoFixture.PpoGold(12), ppoPoint.Gold!.Value, 12);
        Assert.True(m.Matched(ppoPoint));
        Assert.False(m.Matched(Assert.Single(m.Points, p => p.Method == "DPO")));
        Assert.Equal("gold 0.200 at √KL 1.100", Value(rows, "matched KL", "PPO, iteration 12"));

        // PPO with the KL penalty: gold rises to the end (no over-optimisation); its matched-KL point is iteration 19
        Assert.Equal("0.300 at iteration 20, √KL 1.140", Value(rows, "ppo_kl", "gold peak"));
        Assert.StartsWith("none visible", Value(rows, "ppo_kl", "over-optimisation"));
        Assert.DoesNotContain(rows, r => r.Stage == "ppo_kl" && r.Figure == "guard");
        Assert.Equal("gold 0.260 at √KL 1.080", Value(rows, "matched KL", "PPO + KL, iteration 19"));
        Assert.Equal("gold -0.300 at √KL 0.300 (KL not matched)", Value(rows, "matched KL", "DPO, step 60"));

        // GRPO: accuracy first → last and best; reward and format rate first → last
        Assert.Equal("10.0% (step 0) → 35.0% (step 10)", Value(rows, "grpo", "held-out accuracy, first → last"));
        Assert.Equal("40.0% at step 5", Value(rows, "grpo", "best held-out accuracy"));
        Assert.Equal("0.050 → 0.500", Value(rows, "grpo", "checker reward, first → last iterations"));
        Assert.Equal("55.0% → 100.0%", Value(rows, "grpo", "format rate, first → last iterations"));

        // labels, RM vs the ceiling, losses, DPO, time
        Assert.Equal("70.0% mean, members 68.0%–72.0%; untrained 50.0%", Value(rows, "rm", "held-out accuracy (2 members)"));
        // each member ÷ its own ceilings: utility 0.72/0.8, 0.68/0.85 → 85.0%; gold 0.72/0.6, 0.68/0.7 → 108.6% (beaten by the length bias)
        Assert.Equal("labelers' biased utility 82.5%, gold 65.0%", Value(rows, "rm", "ceilings on the same held-out pairs"));
        Assert.Equal("85.0%", Value(rows, "rm", "accuracy ÷ utility ceiling"));
        Assert.Equal("108.6%", Value(rows, "rm", "accuracy ÷ gold ceiling"));
        Assert.Equal("labelers' biased utility 81.0%, gold 66.0%", Value(rows, "label", "agreement with the labels, all pairs (ties ½)"));
        Assert.Equal("4.700 → 2.000", Value(rows, "pretrain", "training loss, first → last"));
        Assert.Equal("KL 0.090 (√KL 0.300), gold -0.300 (step 0: -0.500)", Value(rows, "dpo", "final evaluation (step 60)"));
        Assert.Equal("proxy 0.219, gold -0.191", Value(rows, "bon", "n = 8 (√KL 1.097)"));
        Assert.Equal("71.5 s", Value(rows, "time", "total")); // 1.5 + 2.5 + … + 11.5
    }

    [Fact]
    public void Summary_SaysSoWhenGoldNeverPeaks()
    {
        string dir = _tmp.File("rising");
        DemoFixture.Write(dir, gold: i => -0.5 + 0.02 * i);
        var s = DemoSummary.Load(dir);
        Assert.Equal("none visible: gold is highest at the last iteration", Value(s.Rows(), "ppo", "over-optimisation"));
        string html = DemoReport.Html(s);
        Assert.Contains("was still at its highest at the last iteration", html);
        Assert.DoesNotContain("then fell by", html);
    }

    [Fact]
    public void StagesNotRunFailedOrUnreadable_AreShownAsSuch_WithoutCrashing()
    {
        string dir = _tmp.File("partial");
        DemoFixture.Write(dir, skip: ["dpo", "grpo"], failed: ["bon"]);
        File.Delete(Path.Combine(dir, "sft", "metrics.jsonl")); // done in demo.json, but its output is gone
        var s = DemoSummary.Load(dir);
        var rows = s.Rows();
        Assert.Equal("not run", Value(rows, "dpo", "—"));
        Assert.Equal("not run", Value(rows, "grpo", "—"));
        Assert.Equal("failed", Value(rows, "bon", "—"));
        Assert.StartsWith("unreadable: ", Value(rows, "sft", "—"));
        Assert.True(s.Problems.ContainsKey("sft"));
        Assert.Equal("not run", Value(rows, "time", "dpo"));
        Assert.Null(s.BestOfN); // a failed stage's files are not read
        Assert.Null(s.MatchedKl);
        Assert.NotNull(s.Ppo);

        string html = DemoReport.Html(s);
        Assert.Contains("Stage <b>grpo</b>: not run.", html);
        Assert.Contains("Stage <b>dpo</b>: not run.", html);
        Assert.Contains("Stage <b>sft</b>: its outputs could not be read", html);
        Assert.Contains("Reward vs √KL", html); // PPO alone still makes the figure
    }

    [Fact]
    public void Write_MakesASelfContainedPage_WithThePlots_AndEscapesEveryQuotedText()
    {
        string dir = _tmp.File("html");
        DemoFixture.Write(dir);
        string path = DemoReport.Write(dir);
        Assert.Equal(Path.Combine(dir, Rlhf.Cli.Demo.DemoLayout.ReportFile), path);
        string html = File.ReadAllText(path);

        // the plots, each well-formed SVG, with the guard's and the peak's marks on the PPO curves
        var svgs = Regex.Matches(html, "<svg .*?</svg>", RegexOptions.Singleline).Select(x => XDocument.Parse(x.Value)).ToList();
        Assert.Equal(11, svgs.Count); // 2 loss, 4 PPO, 2 PPO with the KL penalty, reward vs √KL, DPO, GRPO
        foreach (string title in new[] { "Pretraining loss", "SFT loss", "Proxy (RM) and gold reward per iteration", "Reward vs √KL: proxy (solid), gold (dashed), fits (dotted)", "GRPO on addition" })
            Assert.Contains(svgs, svg => svg.Descendants().Any(e => e.Name.LocalName == "text" && e.Value == title));
        Assert.Contains("gold peak = guard keeps", html);
        Assert.Contains("guard stops", html);
        Assert.Contains("PPO gold fit", html);
        Assert.Contains("PPO + KL gold", html);
        Assert.Contains("held near the SFT model, PPO improved what the reward model was meant to measure", html);
        Assert.Contains("best-of-N gold fit", html);
        Assert.Contains("<th>÷ utility ceiling</th><th>÷ gold ceiling</th>", html);
        Assert.Contains("<td>90.0%</td><td>120.0%</td>", html); // member 0: 0.72 ÷ 0.8, 0.72 ÷ 0.6
        Assert.Contains("most of the way to the ceiling (the labelers&#39; utility on the same pairs); it beats the gold ceiling (65.0%)", html);
        Assert.Contains("DPO gold", html);

        // quoted text is escaped: a completion with a script tag cannot run, a prompt with markup shows as text
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more", html);
        Assert.Contains("How was the &lt;b&gt;cafe&lt;/b&gt;?", html);
        Assert.Contains("gold dropped &lt;fast&gt;", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>cafe", html);
        // self-contained: nothing fetched
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("src=", html);

        // the story quotes the data, the commands are listed per stage
        Assert.Contains("peak of 0.400 at iteration 8", html);
        Assert.Contains("would have stopped the run at iteration 12", html);
        Assert.Contains("rlhf ppo --out", html);
        Assert.Contains("Held-out exact-match accuracy went from 10.0% (step 0) to 35.0% (step 10), best 40.0% at step 5", html);
    }

    [Fact]
    public void Render_AndToTable_ShowEveryRow()
    {
        string dir = _tmp.File("text");
        DemoFixture.Write(dir);
        var s = DemoSummary.Load(dir);
        var text = new StringWriter();
        s.Render(text);
        string output = text.ToString();
        Assert.StartsWith("rlhf demo — full, seed 7", output);
        Assert.Contains("0.400 at iteration 8, √KL 0.700", output);
        Assert.Equal(s.Rows().Count, s.ToTable().Rows.Count);
    }

    [Fact]
    public void Load_WithoutDemoJson_SaysItIsNotADemoDirectory()
    {
        var e = Assert.Throws<TrainingException>(() => DemoSummary.Load(_tmp.Root));
        Assert.Contains("no demo.json", e.Message);
        File.WriteAllText(_tmp.File("demo.json"), "[1, 2");
        Assert.Throws<TrainingException>(() => DemoSummary.Load(_tmp.Root));
    }

    [Fact]
    public void SvgPlot_DrawsLabelledMarkers_AndCoversARequestedRange()
    {
        var plot = new SvgPlot("t", "x", "y").Add("flat", [0, 1, 2], [0, 0, 0], markers: false, color: "#123456").AddMarker(5, "guard <stops>").CoverY(0, 1);
        var svg = XDocument.Parse(plot.Render());
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Empty(svg.Descendants(ns + "circle"));
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "guard <stops>");
        var xTicks = svg.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("5", xTicks); // the x range widened to the marker
        Assert.Contains("1", xTicks); // the y range covers [0, 1]
        Assert.Contains(svg.Descendants(ns + "polyline"), p => (string?)p.Attribute("stroke") == "#123456");
        Assert.Equal(1, plot.MarkerCount);
    }
}
