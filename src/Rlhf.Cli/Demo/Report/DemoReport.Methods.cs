using System.Net;
using System.Text;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.BestOfN;
using static Rlhf.Cli.Demo.Report.DemoFormat;
using Rlhf.Training.Reporting;

namespace Rlhf.Cli.Demo.Report;

/// <summary>Sections 5–7 of <c>report.html</c>: DPO, GRPO and the sample completions.</summary>
public static partial class DemoReport
{
    // ================================================================ 5. DPO

    private static void Dpo(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='dpo'>\n<h2>5. DPO: learning from the rankings directly</h2>\n");
        if (s.Dpo is not { Count: > 0 } dpo)
        {
            Missing(sb, s, DemoLayout.DpoStage);
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
            Missing(sb, s, DemoLayout.GrpoStage);
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
            Missing(sb, s, DemoLayout.SamplesStage);
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
}
