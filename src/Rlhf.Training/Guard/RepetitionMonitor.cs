using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// Degenerate looping ("great great great …", trl#204: one repeated output while KL keeps rising): violated ⇔ the mean
/// repetition rate (<see cref="ResponseStats.RepetitionRate"/>, the fraction of repeated n-grams) exceeds a threshold.
/// An absolute threshold, not a ratio: healthy text has a small, model-independent rate. Reads
/// <see cref="RlMetricNames.RepetitionRate"/>.
/// </summary>
public sealed class RepetitionMonitor : PatienceMonitor
{
    private readonly double _max;

    /// <summary>Stops above <paramref name="maxRate"/> ∈ (0, 1).</summary>
    public RepetitionMonitor(double maxRate, int patience = 3) : base("repetition", patience)
    {
        if (!(maxRate > 0 && maxRate < 1)) throw new ArgumentException($"RepetitionMonitor: max rate must be in (0, 1), got {maxRate}");
        _max = maxRate;
    }

    /// <inheritdoc/>
    protected override bool? Check(int iteration, IReadOnlyDictionary<string, double> metrics, out string problem)
    {
        problem = "";
        if (!TryGet(metrics, RlMetricNames.RepetitionRate, out double rate)) return null;
        problem = $"repetition rate {F(rate)} exceeds {F(_max)}";
        return rate > _max;
    }

    /// <inheritdoc/>
    protected override void Save(JsonObject state) { }

    /// <inheritdoc/>
    protected override void Load(JsonObject state) { }
}
