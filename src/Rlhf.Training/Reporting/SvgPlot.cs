using System.Globalization;
using System.Security;
using System.Text;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Training.Reporting;

/// <summary>
/// A small dependency-free SVG line plot: several named series (polyline + point markers, optionally dashed or dotted,
/// in a chosen colour), labelled vertical markers ("the guard stops here"), a title, axis labels, "nice" 1-2-5 ticks
/// and a legend. Non-finite points are skipped. Used for best-of-N curves and the demo report; open the file in any
/// browser.
/// </summary>
public sealed class SvgPlot(string title, string xLabel, string yLabel)
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    private readonly List<(string Name, double[] X, double[] Y, string? Dash, bool Markers, string Color, double Width)> _series = [];
    private readonly List<(double X, string Label)> _markers = [];
    private (double Min, double Max)? _yCover;

    /// <summary>Number of series added.</summary>
    public int SeriesCount => _series.Count;

    /// <summary>Number of vertical markers added.</summary>
    public int MarkerCount => _markers.Count;

    /// <summary>
    /// Adds a series (x and y of equal length); returns this plot for chaining. <paramref name="dashed"/> and
    /// <paramref name="dotted"/> (thinner, for fitted curves) change the stroke; point markers are drawn on solid series
    /// unless <paramref name="markers"/> says otherwise; <paramref name="color"/> (any SVG colour) overrides the
    /// palette colour of the series' position.
    /// </summary>
    public SvgPlot Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, bool dashed = false, bool? markers = null, string? color = null, bool dotted = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"SvgPlot: series '{name}' has {x.Count} x values but {y.Count} y values");
        string? dash = dotted ? "2 3" : dashed ? "6 4" : null;
        _series.Add((name, [.. x], [.. y], dash, markers ?? dash is null, color ?? Color(_series.Count), dotted ? 1.5 : 2));
        return this;
    }

    /// <summary>Adds a labelled vertical line at <paramref name="x"/> (widening the x range to include it); returns this plot.</summary>
    public SvgPlot AddMarker(double x, string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (!double.IsFinite(x)) throw new ArgumentException($"SvgPlot: marker '{label}' at non-finite x = {x}");
        _markers.Add((x, label));
        return this;
    }

    /// <summary>Makes the y axis cover at least [<paramref name="min"/>, <paramref name="max"/>] (e.g. [0, 1] for fractions, so a flat series is not blown up); returns this plot.</summary>
    public SvgPlot CoverY(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max) throw new ArgumentException($"SvgPlot: cannot cover y range [{min}, {max}]");
        _yCover = (min, max);
        return this;
    }

    /// <summary>The palette colour of the series at position <paramref name="index"/> (what <see cref="Add"/> uses by default).</summary>
    public static string Color(int index) => Palette[index % Palette.Length];

    /// <summary>The SVG document, <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public string Render(int width = 640, int height = 400)
    {
        // 1. data range over finite points, padded when flat, then widened to nice ticks
        var points = _series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        var xs = points.Select(p => p.First).Concat(_markers.Select(m => m.X)).ToList();
        double x0 = xs.Count > 0 ? xs.Min() : 0, x1 = xs.Count > 0 ? xs.Max() : 1;
        double y0 = points.Count > 0 ? points.Min(p => p.Second) : 0, y1 = points.Count > 0 ? points.Max(p => p.Second) : 1;
        if (_yCover is var (coverMin, coverMax)) (y0, y1) = (points.Count > 0 ? Math.Min(y0, coverMin) : coverMin, points.Count > 0 ? Math.Max(y1, coverMax) : coverMax);
        var xTicks = Ticks(ref x0, ref x1);
        var yTicks = Ticks(ref y0, ref y1);

        // 2. plot area and data → pixel maps
        const double left = 64, top = 36, bottom = 52;
        double right = 150, w = width - left - right, h = height - top - bottom;
        double Px(double x) => left + (x - x0) / (x1 - x0) * w;
        double Py(double y) => top + h - (y - y0) / (y1 - y0) * h;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2.0:0.#}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{Esc(title)}</text>\n");

        // 3. grid, ticks, axes and labels
        foreach (double t in xTicks)
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Px(t):0.##}\" y1=\"{top:0.##}\" x2=\"{Px(t):0.##}\" y2=\"{top + h:0.##}\" stroke=\"#e0e0e0\"/><text x=\"{Px(t):0.##}\" y=\"{top + h + 16:0.##}\" text-anchor=\"middle\">{Label(t)}</text>\n");
        foreach (double t in yTicks)
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left:0.##}\" y1=\"{Py(t):0.##}\" x2=\"{left + w:0.##}\" y2=\"{Py(t):0.##}\" stroke=\"#e0e0e0\"/><text x=\"{left - 6:0.##}\" y=\"{Py(t) + 4:0.##}\" text-anchor=\"end\">{Label(t)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left:0.##}\" y=\"{top:0.##}\" width=\"{w:0.##}\" height=\"{h:0.##}\" fill=\"none\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + w / 2:0.##}\" y=\"{height - 12}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(16 {top + h / 2:0.##}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>\n");

        // 4. series: polyline + markers, and the legend entry
        for (int s = 0; s < _series.Count; s++)
        {
            var (name, sx, sy, dashPattern, markers, color, strokeWidth) = _series[s];
            string dash = dashPattern is null ? "" : $" stroke-dasharray=\"{dashPattern}\"";
            string stroke = strokeWidth.ToString("0.#", CultureInfo.InvariantCulture);
            var coords = sx.Zip(sy).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second))
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{Px(p.First):0.##},{Py(p.Second):0.##}")).ToList();
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{Esc(color)}\" stroke-width=\"{stroke}\"{dash} points=\"{string.Join(' ', coords)}\"/>\n");
            if (markers)
                foreach (string c in coords)
                {
                    var xy = c.Split(',');
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{xy[0]}\" cy=\"{xy[1]}\" r=\"3\" fill=\"{Esc(color)}\"/>");
                }
            double ly = top + 10 + 18 * s, lx = left + w + 12;
            svg.Append(CultureInfo.InvariantCulture, $"\n<line x1=\"{lx:0.##}\" y1=\"{ly:0.##}\" x2=\"{lx + 22:0.##}\" y2=\"{ly:0.##}\" stroke=\"{Esc(color)}\" stroke-width=\"{stroke}\"{dash}/><text x=\"{lx + 28:0.##}\" y=\"{ly + 4:0.##}\">{Esc(name)}</text>\n");
        }

        // 5. vertical markers with their labels, staggered so neighbours do not overprint
        for (int m = 0; m < _markers.Count; m++)
        {
            var (mx, label) = _markers[m];
            double px = Px(mx), ty = top + 14 + 14 * m;
            bool flip = px > left + 0.7 * w;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:0.##}\" y1=\"{top:0.##}\" x2=\"{px:0.##}\" y2=\"{top + h:0.##}\" stroke=\"#444\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{px + (flip ? -4 : 4):0.##}\" y=\"{ty:0.##}\" text-anchor=\"{(flip ? "end" : "start")}\" font-size=\"11\" fill=\"#222\">{Esc(label)}</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/> atomically.</summary>
    public void Save(string path, int width = 640, int height = 400) => AtomicFile.WriteAllText(path, Render(width, height));

    /// <summary>Ticks at a 1-2-5 step (about 5 of them) covering [lo, hi]; widens lo/hi to the outer ticks (and pads a flat range).</summary>
    internal static List<double> Ticks(ref double lo, ref double hi)
    {
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi))) { lo -= 0.5 * Math.Max(1e-6, Math.Abs(lo)); hi += 0.5 * Math.Max(1e-6, Math.Abs(hi)); }
        double raw = (hi - lo) / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw))), f = raw / magnitude;
        double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
        lo = Math.Floor(lo / step + 1e-9) * step;
        hi = Math.Ceiling(hi / step - 1e-9) * step;
        var ticks = new List<double>();
        for (int i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.Add(lo + i * step);
        return ticks;
    }

    private static string Label(double v) => Math.Abs(v) < 1e-12 ? "0" : v.ToString("G4", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
