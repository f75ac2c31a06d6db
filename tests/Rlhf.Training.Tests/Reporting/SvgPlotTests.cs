using System.Xml.Linq;
using Rlhf.Training.BestOfN;
using Rlhf.Training.Reporting;

namespace Rlhf.Training.Tests.Reporting;

public class SvgPlotTests
{
    [Fact]
    public void Renders_well_formed_svg_with_one_polyline_and_legend_entry_per_series()
    {
        var plot = new SvgPlot("gold <vs> proxy", "√KL", "reward & more")
            .Add("proxy", [0, 0.5, 1.0], [0, 0.4, 0.9])
            .Add("gold", [0, 0.5, 1.0, 1.5], [0, 0.3, double.NaN, 0.1])
            .Add("fit", [0, 1.5], [0, 0.2], dashed: true);
        var svg = XDocument.Parse(plot.Render());                      // well-formed XML, escaped text
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(3, svg.Descendants(ns + "polyline").Count());
        Assert.Equal(3 + 3, svg.Descendants(ns + "circle").Count());  // markers on finite points of solid series
        var texts = svg.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("gold <vs> proxy", texts);
        Assert.Contains("reward & more", texts);
        Assert.Contains("fit", texts);
        Assert.Contains("stroke-dasharray", plot.Render());
        Assert.Throws<ArgumentException>(() => plot.Add("bad", [1, 2], [1]));
        Assert.NotNull(XDocument.Parse(new SvgPlot("empty", "x", "y").Render()));
    }

    [Fact]
    public void Ticks_are_nice_and_cover_the_range()
    {
        double lo = 0.13, hi = 0.92;
        var ticks = SvgPlot.Ticks(ref lo, ref hi);
        Assert.Equal([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], ticks.Select(t => Math.Round(t, 10)));
        Assert.Equal((0.0, 1.0), (lo, Math.Round(hi, 10)));
        double flatLo = 2, flatHi = 2;
        Assert.NotEmpty(SvgPlot.Ticks(ref flatLo, ref flatHi));
        Assert.True(flatLo < 2 && flatHi > 2);
    }

    [Fact]
    public void Best_of_n_curve_plot_has_proxy_gold_and_both_fits()
    {
        double[][] proxy = [[0, 1, 2, 3, 4, 5, 6, 7]], gold = [[0, 1, 2, 3, 3, 2, 1, 0]];
        var plot = BestOfNCurve.ToPlot(BestOfNCurve.Compute(proxy, gold));
        Assert.Equal(4, plot.SeriesCount);
    }
}
