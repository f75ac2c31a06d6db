using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Demo.Report;

/// <summary>A language-model run's training loss per step and validation loss where it was evaluated (pretraining, SFT).</summary>
public sealed record DemoLossCurve(IReadOnlyList<DemoPoint> Train, IReadOnlyList<DemoPoint> Validation)
{
    /// <summary>The curve of a run's metrics (<c>loss</c> and <c>val_loss</c>).</summary>
    public static DemoLossCurve FromMetrics(IReadOnlyList<MetricsEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return new DemoLossCurve(Points(entries, "loss"), Points(entries, "val_loss"));
    }

    /// <summary>The finite values of <paramref name="name"/> in <paramref name="entries"/>, in file order.</summary>
    internal static List<DemoPoint> Points(IEnumerable<MetricsEntry> entries, string name) =>
        MetricsReader.Series(entries, name).Where(p => double.IsFinite(p.Value)).Select(p => new DemoPoint(p.Step, p.Value)).ToList();
}
