using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// A hard KL budget: Gao et al. 2022 find gold reward is (for a given RM) a function of the distance
/// d = √KL(π ‖ π_init) travelled, so capping KL caps how far overoptimisation can go — their "KL penalty acts like early
/// stopping". violated ⇔ KL_t > budget (per-sequence nats, k1 summed over the response). Default patience 1: a
/// budget is a budget. Reads <see cref="RlMetricNames.Kl"/>.
/// </summary>
public sealed class KlBudgetMonitor : PatienceMonitor
{
    private readonly double _budget;

    /// <summary>Stops once KL exceeds <paramref name="budget"/> nats for <paramref name="patience"/> iterations.</summary>
    public KlBudgetMonitor(double budget, int patience = 1) : base("kl_budget", patience)
    {
        if (!(budget > 0) || !double.IsFinite(budget)) throw new ArgumentException($"KlBudgetMonitor: budget must be finite and > 0, got {budget}");
        _budget = budget;
    }

    /// <inheritdoc/>
    protected override bool? Check(int iteration, IReadOnlyDictionary<string, double> metrics, out string problem)
    {
        problem = "";
        if (!TryGet(metrics, RlMetricNames.Kl, out double kl)) return null;
        problem = $"KL {F(kl)} nats exceeds the budget {F(_budget)}";
        return kl > _budget;
    }

    /// <inheritdoc/>
    protected override void Save(JsonObject state) { }

    /// <inheritdoc/>
    protected override void Load(JsonObject state) { }
}
