using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// Length as a hacking signal, both ways: collapse (the one-word answer an RM happens to love) and explosion (the
/// length bias of RMs, Singhal et al. 2023, arXiv 2310.03716). With ℓ₀ the mean response length over the first baseline
/// iterations: violated ⇔ ℓ_t &lt; min·ℓ₀ or ℓ_t > max·ℓ₀. Either side can be switched off (min 0, max ∞).
/// Reads <see cref="RlMetricNames.ResponseLength"/>.
/// </summary>
public sealed class LengthCollapseMonitor : PatienceMonitor
{
    private readonly double _min, _max;
    private readonly Baseline _baseline;

    /// <summary>Allowed length band [<paramref name="minRatio"/>·ℓ₀, <paramref name="maxRatio"/>·ℓ₀].</summary>
    public LengthCollapseMonitor(double minRatio, double maxRatio = double.PositiveInfinity, int patience = 3, int baselineIterations = 3)
        : base("length", patience)
    {
        if (!(minRatio >= 0 && minRatio < 1)) throw new ArgumentException($"LengthCollapseMonitor: min ratio must be in [0, 1), got {minRatio}");
        if (!(maxRatio > 1)) throw new ArgumentException($"LengthCollapseMonitor: max ratio must be > 1 (∞ = off), got {maxRatio}");
        if (minRatio == 0 && double.IsPositiveInfinity(maxRatio)) throw new ArgumentException("LengthCollapseMonitor: both sides are off");
        (_min, _max, _baseline) = (minRatio, maxRatio, new Baseline(baselineIterations));
    }

    /// <inheritdoc/>
    protected override bool? Check(int iteration, IReadOnlyDictionary<string, double> metrics, out string problem)
    {
        problem = "";
        if (!TryGet(metrics, RlMetricNames.ResponseLength, out double length)) return null;
        if (_baseline.Add(length) is not { } initial) return false;
        bool collapsed = length < _min * initial, exploded = length > _max * initial;
        problem = collapsed ? $"response length {F(length)} collapsed below {F(_min)}× its initial {F(initial)} tokens"
            : $"response length {F(length)} exploded above {F(_max)}× its initial {F(initial)} tokens";
        return collapsed || exploded;
    }

    /// <inheritdoc/>
    protected override void Save(JsonObject state) => _baseline.Save(state);

    /// <inheritdoc/>
    protected override void Load(JsonObject state) => _baseline.Load(state);
}
