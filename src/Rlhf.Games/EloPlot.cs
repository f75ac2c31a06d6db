using System.Globalization;
using System.Text;

namespace Rlhf.Games;

/// <summary>
/// The Elo-versus-training figure as standalone SVG (after the AlphaGo paper's Fig. 4a): one line per trained group
/// (imitation, self-play) over its training position with 95% interval bars, and each expert as a dashed horizontal
/// line with its interval as a band.
/// </summary>
public static class EloPlot
{
    private static readonly Dictionary<string, string> Colours = new() { ["imitation"] = "#1f77b4", ["selfplay"] = "#d62728" };

    /// <summary>The SVG document for <paramref name="ratings"/>; <paramref name="xLabel"/> names the training axis.</summary>
    public static string Svg(IReadOnlyList<EloRating> ratings, string title, string xLabel)
    {
        const double W = 760, H = 440, L = 70, R = 110, T = 40, B = 55;
        var trained = ratings.Where(r => r.TrainingX is not null).ToList();
        var experts = ratings.Where(r => r.TrainingX is null).ToList();
        double xMin = trained.Count > 0 ? trained.Min(r => r.TrainingX!.Value) : 0, xMax = trained.Count > 0 ? trained.Max(r => r.TrainingX!.Value) : 1;
        if (xMax <= xMin) xMax = xMin + 1;
        double yMin = ratings.Min(r => r.Lo), yMax = ratings.Max(r => r.Hi);
        double pad = Math.Max(20, 0.05 * (yMax - yMin));
        (yMin, yMax) = (Math.Floor((yMin - pad) / 100) * 100, Math.Ceiling((yMax + pad) / 100) * 100);
        double X(double x) => L + (x - xMin) / (xMax - xMin) * (W - L - R);
        double Y(double y) => T + (yMax - y) / (yMax - yMin) * (H - T - B);
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(W)}\" height=\"{F(H)}\" viewBox=\"0 0 {F(W)} {F(H)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect width=\"{F(W)}\" height=\"{F(H)}\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{F(W / 2)}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        // axes and grid
        double step = (yMax - yMin) > 1200 ? 400 : (yMax - yMin) > 600 ? 200 : 100;
        for (double y = Math.Ceiling(yMin / step) * step; y <= yMax + 1e-9; y += step)
            sb.Append($"<line x1=\"{F(L)}\" x2=\"{F(W - R)}\" y1=\"{F(Y(y))}\" y2=\"{F(Y(y))}\" stroke=\"#eee\"/><text x=\"{F(L - 6)}\" y=\"{F(Y(y) + 4)}\" text-anchor=\"end\">{F(y)}</text>\n");
        sb.Append($"<line x1=\"{F(L)}\" x2=\"{F(L)}\" y1=\"{F(T)}\" y2=\"{F(H - B)}\" stroke=\"black\"/><line x1=\"{F(L)}\" x2=\"{F(W - R)}\" y1=\"{F(H - B)}\" y2=\"{F(H - B)}\" stroke=\"black\"/>\n");
        foreach (var tick in trained.GroupBy(r => r.TrainingX!.Value).OrderBy(g => g.Key)) // label = the snapshot's tag, e.g. e3 or i500
            sb.Append($"<text x=\"{F(X(tick.Key))}\" y=\"{F(H - B + 16)}\" text-anchor=\"middle\" font-size=\"10\">{Escape(Tag(tick.First().Name))}</text>\n");
        sb.Append($"<text x=\"{F((L + W - R) / 2)}\" y=\"{F(H - 12)}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        sb.Append($"<text transform=\"translate(18 {F((T + H - B) / 2)}) rotate(-90)\" text-anchor=\"middle\">Elo (random = 0), 95% bootstrap CI</text>\n");
        // experts: band + dashed line + label
        foreach (var e in experts)
        {
            sb.Append($"<rect x=\"{F(L)}\" width=\"{F(W - R - L)}\" y=\"{F(Y(e.Hi))}\" height=\"{F(Math.Max(0.5, Y(e.Lo) - Y(e.Hi)))}\" fill=\"#999\" opacity=\"0.15\"/>\n");
            sb.Append($"<line x1=\"{F(L)}\" x2=\"{F(W - R)}\" y1=\"{F(Y(e.Elo))}\" y2=\"{F(Y(e.Elo))}\" stroke=\"#666\" stroke-dasharray=\"5 4\"/>\n");
            sb.Append($"<text x=\"{F(W - R + 6)}\" y=\"{F(Y(e.Elo) + 4)}\" fill=\"#444\">{Escape(e.Name)} {F(e.Elo)}</text>\n");
        }
        // trained groups: polyline + error bars + points
        int legend = 0;
        foreach (var group in trained.GroupBy(r => r.Group))
        {
            string colour = Colours.GetValueOrDefault(group.Key, "#2ca02c");
            var pts = group.OrderBy(r => r.TrainingX).ToList();
            sb.Append($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(" ", pts.Select(p => $"{F(X(p.TrainingX!.Value))},{F(Y(p.Elo))}"))}\"/>\n");
            foreach (var p in pts)
            {
                double x = X(p.TrainingX!.Value);
                sb.Append($"<line x1=\"{F(x)}\" x2=\"{F(x)}\" y1=\"{F(Y(p.Hi))}\" y2=\"{F(Y(p.Lo))}\" stroke=\"{colour}\"/><circle cx=\"{F(x)}\" cy=\"{F(Y(p.Elo))}\" r=\"3.5\" fill=\"{colour}\"><title>{Escape(p.Name)}: {F(p.Elo)} [{F(p.Lo)}, {F(p.Hi)}]</title></circle>\n");
            }
            double ly = T + 8 + 16 * legend++;
            sb.Append($"<line x1=\"{F(L + 10)}\" x2=\"{F(L + 30)}\" y1=\"{F(ly)}\" y2=\"{F(ly)}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{F(L + 36)}\" y=\"{F(ly + 4)}\">{Escape(group.Key)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Tag(string name) => name.Contains('@') ? name[(name.IndexOf('@') + 1)..] : name;

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
