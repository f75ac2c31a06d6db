using System.Net;
using System.Text;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.BestOfN;
using static Rlhf.Cli.Demo.Report.DemoFormat;
using Rlhf.Training.Reporting;

namespace Rlhf.Cli.Demo.Report;

/// <summary>Sections 1–2 of <c>report.html</c>: the data and base model, and the human feedback (labels and the reward model).</summary>
public static partial class DemoReport
{
    // ================================================================ 1. data and base model

    private static void DataAndBase(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='base'>\n<h2>1. Data and the base model</h2>\n");
        if (s.Data is { } d)
            P(sb, H($"The data is built in: {Count(d.Documents, "procedurally generated reviews")} for pretraining, {Count(d.Demonstrations, "prompt → review demonstrations")} for SFT, "
                + $"and disjoint prompt sets — {Count(d.LabelPrompts, "prompts")} to collect human feedback on, {Count(d.RlPrompts, "prompts")} for RL and {Count(d.EvalPrompts, "held-out prompts")} for evaluation. "
                + "Each review has a random mood; the gold scorer rates a text by the sentiment of its words."));
        else Missing(sb, s, DemoLayout.DataStage);

        if (s.Pretrain is { } p)
            P(sb, H($"Pretraining (next-token prediction) brought the training loss from {F(p.Train[0].Value)} to {F(p.Train[^1].Value)} nats per token over {I(p.Train[^1].Step)} steps. ")
                + H(GapText(p)) + H("Look for a steep fall that flattens out; a loss that is still falling fast at the end means more steps would help."));
        else Missing(sb, s, DemoLayout.PretrainStage);
        if (s.Sft is { } f)
            P(sb, H($"SFT then fine-tuned the model on the demonstrations (loss on the response only): {F(f.Train[0].Value)} → {F(f.Train[^1].Value)}. ")
                + H(GapText(f)) + H("SFT teaches the format (answer the prompt with a review), not which reviews are good: that is what the feedback below is for."));
        else Missing(sb, s, DemoLayout.SftStage);
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
                + H(l.LabelCeilingUtility is { } cu && l.LabelCeilingGold is { } cg
                    ? $"The labelers' own biased utility (gold plus their liking for length) agrees with these noisy labels on {Pct(cu)} of pairs, the gold scorer itself on only {Pct(cg)}: "
                        + "with a length bias, the utility is the best predictor of the labels, so it — not the gold — is the ceiling for a reward model's accuracy. "
                    : l.GoldCeiling is { } c ? $"Even a perfect reward model — the gold scorer itself — would agree with these noisy labels only {Pct(c)} of the time. " : "")
                + H(l.LabelsGoldAgreement is { } g ? $"The labels follow the gold order on {Pct(g)} of pairs. " : "")
                + H($"The chosen answer is the longer one in {Pct(l.ChosenLongerFraction)} of pairs ({l.ChosenCharsMean:0} vs {l.RejectedCharsMean:0} characters on average)."));
        }
        else Missing(sb, s, DemoLayout.LabelStage);

        if (s.RewardModel is { Count: > 0 } members)
        {
            var accs = members.Where(m => m.Accuracy is not null).Select(m => m.Accuracy!.Value).ToList();
            var withCeilings = members.Where(m => m.CeilingUtility is not null && m.CeilingGold is not null).ToList();
            double? utilityCeiling = withCeilings.Count > 0 ? withCeilings.Average(m => m.CeilingUtility!.Value) : null;
            double? goldCeiling = withCeilings.Count > 0 ? withCeilings.Average(m => m.CeilingGold!.Value) : null;
            sb.Append("<table class='bars'>\n<tr><th></th><th>held-out pairwise accuracy</th><th></th><th>before training</th><th>÷ utility ceiling</th><th>÷ gold ceiling</th></tr>\n");
            foreach (var m in members) Bar(sb, $"RM {m.Name}", m.Accuracy, BonColor, Pct(m.AccuracyBefore), m.OfUtilityCeiling is { } u ? Pct(u) : "", m.OfGoldCeiling is { } g ? Pct(g) : "");
            if (utilityCeiling is { } uc) Bar(sb, "utility ceiling (same pairs)", uc, "#888", "", "", "");
            if (goldCeiling is { } gc) Bar(sb, "gold ceiling (same pairs)", gc, "#aaa", "", "", "");
            if (l?.InterLabelerAgreement is { } agree) Bar(sb, "inter-labeler agreement", agree, "#bbb", "", "", "");
            Bar(sb, "chance", 0.5, "#ddd", "", "", "");
            sb.Append("</table>\n");
            if (accs.Count > 0)
            {
                double mean = accs.Average();
                string verdict = mean <= 0.55 ? "barely above chance (50%): the reward model has learnt little, so anything optimised against it chases noise"
                    : utilityCeiling is { } ceiling && mean >= 0.95 * ceiling ? "at the ceiling (the labelers' utility on the same pairs): there is little more to learn from these labels"
                    : utilityCeiling is { } ceiling2 && mean >= 0.8 * ceiling2 ? "most of the way to the ceiling (the labelers' utility on the same pairs)"
                    : utilityCeiling is not null ? "well below the ceiling (the labelers' utility on the same pairs): more labels or epochs would help"
                    : "(no ceiling to compare with)";
                if (goldCeiling is { } gold && mean > gold)
                    verdict += $"; it beats the gold ceiling ({Pct(gold)}) by learning the labelers' length bias, which the gold does not share";
                P(sb, H($"A reward-model ensemble of {I(members.Count)} was trained on the rankings. On held-out comparisons its members are right {Pct(mean)} of the time on average — {verdict}. ")
                    + H("Its score is the proxy reward that PPO and best-of-N maximise below; the members' disagreement is a warning sign of inputs the labels never covered."));
            }
        }
        else Missing(sb, s, DemoLayout.RmStage);
        sb.Append("</section>\n");
    }

    private static void Bar(StringBuilder sb, string label, double? value, string color, string before, string ratio, string ratio2)
    {
        double v = Math.Clamp(value ?? 0, 0, 1);
        sb.Append("<tr><td>").Append(H(label)).Append("</td><td><div class='bar'><div style='width:").Append(H((100 * v).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)))
            .Append("%;background:").Append(H(color)).Append("'></div></div></td><td>").Append(H(Pct(value))).Append("</td><td>").Append(H(before)).Append("</td><td>").Append(H(ratio)).Append("</td><td>").Append(H(ratio2)).Append("</td></tr>\n");
    }
}
