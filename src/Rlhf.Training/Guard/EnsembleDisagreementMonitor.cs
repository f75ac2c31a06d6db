using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// Reward-model uncertainty as a hacking signal (Coste et al. 2023, "Reward Model Ensembles Help Mitigate
/// Overoptimization", arXiv 2310.02743): as the policy drifts off the RM's training distribution, ensemble members
/// disagree more. Stop when the mean ensemble std σ_t exceeds <c>ratio</c> × its initial level σ₀ (the mean over the
/// first baseline iterations): violated ⇔ σ_t > ratio · σ₀. Reads <see cref="RlMetricNames.EnsembleStd"/>.
/// </summary>
public sealed class EnsembleDisagreementMonitor : PatienceMonitor
{
    private readonly double _ratio;
    private readonly Baseline _baseline;

    /// <summary>Stop above <paramref name="ratio"/> × the baseline of the first <paramref name="baselineIterations"/> iterations.</summary>
    public EnsembleDisagreementMonitor(double ratio, int patience = 3, int baselineIterations = 3) : base("ensemble_disagreement", patience)
    {
        if (!(ratio > 1) || !double.IsFinite(ratio)) throw new ArgumentException($"EnsembleDisagreementMonitor: ratio must be finite and > 1, got {ratio}");
        (_ratio, _baseline) = (ratio, new Baseline(baselineIterations));
    }

    /// <inheritdoc/>
    protected override bool? Check(int iteration, IReadOnlyDictionary<string, double> metrics, out string problem)
    {
        problem = "";
        if (!TryGet(metrics, RlMetricNames.EnsembleStd, out double std)) return null;
        if (_baseline.Add(std) is not { } initial) return false;
        problem = $"ensemble std {F(std)} is {F(std / Math.Max(initial, 1e-12))}× its initial {F(initial)} (limit {F(_ratio)}×)";
        return std > _ratio * initial;
    }

    /// <inheritdoc/>
    protected override void Save(JsonObject state) => _baseline.Save(state);

    /// <inheritdoc/>
    protected override void Load(JsonObject state) => _baseline.Load(state);
}
