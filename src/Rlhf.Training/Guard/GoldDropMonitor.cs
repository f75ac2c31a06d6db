using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// The direct symptom of overoptimisation (Gao et al. 2022, arXiv 2210.10760: the proxy keeps rising while the gold
/// reward rises, peaks and falls): stop when the (optionally EMA-smoothed) gold reward g̃ has fallen below its running
/// peak by more than the allowed drop for <c>patience</c> iterations in a row:
/// <code>
/// g̃_t = a·g̃_{t−1} + (1 − a)·g_t            (a = smoothing, 0 = raw)
/// drop_t = max_{s ≤ t} g̃_s − g̃_t
/// violated ⇔ drop_t > max(absolute, fraction · (max_s g̃_s − g̃_0))
/// </code>
/// The fraction is of the gain made since the first iteration, so it works on any reward scale; the absolute floor
/// keeps noise from firing it while the gain is still ≈ 0. Reads <see cref="RlMetricNames.GoldReward"/>.
/// </summary>
public sealed class GoldDropMonitor : PatienceMonitor
{
    private readonly double _absolute, _fraction, _smoothing;
    private double? _ema, _start, _peak;
    private int _peakIteration;

    /// <summary>Allowed drop = max(<paramref name="absolute"/>, <paramref name="fraction"/> × gain); <paramref name="smoothing"/> ∈ [0, 1).</summary>
    public GoldDropMonitor(double absolute, double fraction, int patience = 3, double smoothing = 0.5) : base("gold_drop", patience)
    {
        if (!(absolute >= 0) || !(fraction >= 0) || !double.IsFinite(absolute) || !double.IsFinite(fraction))
            throw new ArgumentException($"GoldDropMonitor: drop limits must be finite and ≥ 0, got {absolute} and {fraction}");
        if (absolute == 0 && fraction == 0) throw new ArgumentException("GoldDropMonitor: give an absolute drop or a fraction > 0");
        if (!(smoothing >= 0 && smoothing < 1)) throw new ArgumentException($"GoldDropMonitor: smoothing must be in [0, 1), got {smoothing}");
        (_absolute, _fraction, _smoothing) = (absolute, fraction, smoothing);
    }

    /// <inheritdoc/>
    protected override bool? Check(int iteration, IReadOnlyDictionary<string, double> metrics, out string problem)
    {
        problem = "";
        if (!TryGet(metrics, RlMetricNames.GoldReward, out double gold)) return null;
        double g = Ema(_ema, gold, _smoothing);  // 1. smooth
        _ema = g;
        _start ??= g;
        if (_peak is null || g > _peak) (_peak, _peakIteration) = (g, iteration);  // 2. running peak
        double drop = _peak.Value - g, allowed = Math.Max(_absolute, _fraction * (_peak.Value - _start.Value));
        problem = $"gold reward {F(g)}{(_smoothing > 0 ? " (EMA)" : "")} is {F(drop)} below its peak {F(_peak.Value)} at iteration {_peakIteration} (allowed {F(allowed)})";
        return drop > allowed;  // 3. compare with the allowed drop
    }

    /// <inheritdoc/>
    protected override void Save(JsonObject state)
    {
        (state["ema"], state["start"], state["peak"], state["peak_iteration"]) = (_ema, _start, _peak, _peakIteration);
    }

    /// <inheritdoc/>
    protected override void Load(JsonObject state)
    {
        (_ema, _start, _peak) = (Read(state, "ema"), Read(state, "start"), Read(state, "peak"));
        _peakIteration = state["peak_iteration"]!.GetValue<int>();
    }
}
