using System.Net;
using System.Text;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.BestOfN;
using static Rlhf.Cli.Demo.Report.DemoFormat;
using Rlhf.Training.Reporting;

namespace Rlhf.Cli.Demo.Report;

/// <summary>Sections 3–4 of <c>report.html</c>: the two PPO runs and reward vs √KL for every method.</summary>
public static partial class DemoReport
{
    // ================================================================ 3. PPO

    private static void Ppo(StringBuilder sb, DemoSummary s)
    {
        sb.Append("<section id='ppo'>\n<h2>3. PPO against the reward model</h2>\n");
        if (s.Ppo is not { } ppo)
        {
            Missing(sb, s, DemoLayout.PpoStage);
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
            Missing(sb, s, DemoLayout.PpoKlStage);
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
            Missing(sb, s, DemoLayout.PpoStage, DemoLayout.BonStage);
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
}
