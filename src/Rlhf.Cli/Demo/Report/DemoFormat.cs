using System.Globalization;

namespace Rlhf.Cli.Demo.Report;

/// <summary>Number formats shared by the demo summary and report (invariant culture).</summary>
internal static class DemoFormat
{
    /// <summary>A reward, loss or distance: three decimals.</summary>
    public static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>A reward or null as "n/a".</summary>
    public static string F(double? v) => v is { } x ? F(x) : "n/a";

    /// <summary>A signed difference: "+0.123" / "−0.123".</summary>
    public static string Signed(double v) => (v >= 0 ? "+" : "−") + F(Math.Abs(v));

    /// <summary>A fraction as a percentage with one decimal.</summary>
    public static string Pct(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>A fraction or null as "n/a".</summary>
    public static string Pct(double? v) => v is { } x ? Pct(x) : "n/a";

    /// <summary>An integer.</summary>
    public static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A duration in seconds: "2.9 s", or minutes from two minutes on.</summary>
    public static string Seconds(double s) => s >= 120
        ? (s / 60).ToString("0.0", CultureInfo.InvariantCulture) + " min"
        : s.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
