using System.Text.Json.Nodes;

namespace Rlhf.Training.Guard;

/// <summary>
/// A metric's initial level: the mean of its first <see cref="Iterations"/> observed values (one value is noisy;
/// a few iterations in, the policy has barely moved). Monitors comparing against "the initial level" use it.
/// </summary>
public sealed class Baseline(int iterations)
{
    private double _sum;
    private int _count;

    /// <summary>Values averaged.</summary>
    public int Iterations { get; } = iterations >= 1 ? iterations : throw new ArgumentOutOfRangeException(nameof(iterations), "baseline needs at least 1 iteration");

    /// <summary>Adds <paramref name="x"/> while the baseline is still forming; returns the baseline once complete, else null.</summary>
    public double? Add(double x)
    {
        if (_count < Iterations) { _sum += x; _count++; }
        return Value;
    }

    /// <summary>The baseline once <see cref="Iterations"/> values were seen, else null.</summary>
    public double? Value => _count >= Iterations ? _sum / _count : null;

    /// <summary>Writes the state under <c>baseline_sum</c> / <c>baseline_count</c>.</summary>
    public void Save(JsonObject state) => (state["baseline_sum"], state["baseline_count"]) = (_sum, _count);

    /// <summary>Reads what <see cref="Save"/> wrote.</summary>
    public void Load(JsonObject state) => (_sum, _count) = (state["baseline_sum"]!.GetValue<double>(), state["baseline_count"]!.GetValue<int>());
}
