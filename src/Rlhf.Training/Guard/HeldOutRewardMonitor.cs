using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// Overoptimisation seen without a gold scorer: a held-out reward model (trained on other data, never optimised
/// against) stands in for gold. Stop when its (EMA-smoothed) reward h̃ has fallen more than <c>drop</c> below its running
/// peak while the (EMA-smoothed) proxy p̃ is higher than it was at that peak — the proxy and the held-out judge
/// disagree about the direction of progress:
/// <code>
/// violated ⇔ max_s h̃_s − h̃_t > drop  and  p̃_t > p̃_{argmax h̃}
/// </code>
/// Reads <see cref="RlMetricNames.HeldOutReward"/> and <see cref="RlMetricNames.ProxyReward"/>.
/// </summary>
public sealed class HeldOutRewardMonitor : PatienceMonitor
{
    private readonly double _drop, _smoothing;
    private double? _heldOut, _proxy, _peak, _proxyAtPeak;
    private int _peakIteration;

    /// <summary>Held-out drop allowed while the proxy rises; <paramref name="smoothing"/> ∈ [0, 1) for both EMAs.</summary>
    public HeldOutRewardMonitor(double drop, int patience = 3, double smoothing = 0.5) : base("heldout_drop", patience)
    {
        if (!(drop > 0) || !double.IsFinite(drop)) throw new ArgumentException($"HeldOutRewardMonitor: drop must be finite and > 0, got {drop}");
        if (!(smoothing >= 0 && smoothing < 1)) throw new ArgumentException($"HeldOutRewardMonitor: smoothing must be in [0, 1), got {smoothing}");
        (_drop, _smoothing) = (drop, smoothing);
    }

    /// <inheritdoc/>
    protected override bool? Check(int iteration, IReadOnlyDictionary<string, double> metrics, out string problem)
    {
        problem = "";
        if (!TryGet(metrics, RlMetricNames.HeldOutReward, out double h) || !TryGet(metrics, RlMetricNames.ProxyReward, out double p)) return null;
        _heldOut = Ema(_heldOut, h, _smoothing);
        _proxy = Ema(_proxy, p, _smoothing);
        if (_peak is null || _heldOut > _peak) (_peak, _proxyAtPeak, _peakIteration) = (_heldOut, _proxy, iteration);
        double drop = _peak.Value - _heldOut.Value;
        problem = $"held-out reward {F(_heldOut.Value)} is {F(drop)} below its peak {F(_peak.Value)} at iteration {_peakIteration} "
            + $"(allowed {F(_drop)}) while the proxy rose from {F(_proxyAtPeak!.Value)} to {F(_proxy.Value)}";
        return drop > _drop && _proxy > _proxyAtPeak;
    }

    /// <inheritdoc/>
    protected override void Save(JsonObject state)
    {
        (state["heldout"], state["proxy"], state["peak"], state["proxy_at_peak"], state["peak_iteration"]) = (_heldOut, _proxy, _peak, _proxyAtPeak, _peakIteration);
    }

    /// <inheritdoc/>
    protected override void Load(JsonObject state)
    {
        (_heldOut, _proxy, _peak, _proxyAtPeak) = (Read(state, "heldout"), Read(state, "proxy"), Read(state, "peak"), Read(state, "proxy_at_peak"));
        _peakIteration = state["peak_iteration"]!.GetValue<int>();
    }
}
