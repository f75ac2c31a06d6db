namespace Rlhf.Training.Guard;

/// <summary>
/// Settings of the <see cref="RewardHackingGuard"/>'s monitors; a null limit switches that monitor off. Monitors whose
/// metric a run does not log (no gold scorer, no ensemble, no held-out RM) stay silent, so the defaults are safe for
/// every run. Defaults: gold may fall max(0.05, 10% of its gain) below its EMA peak (EMA weight 0.7); held-out RM may fall 0.1 while the
/// proxy rises; ensemble std may reach 2× its initial level; length must stay within [0.3×, 4×] its initial value;
/// repetition rate at most 0.5; no KL budget. Every monitor but the KL budget needs <see cref="Patience"/> bad
/// iterations in a row.
/// </summary>
public sealed record GuardConfig(
    double? GoldDrop = 0.05,
    double? GoldDropFraction = 0.1,
    double Smoothing = 0.7,
    double? HeldOutDrop = 0.1,
    double? KlBudget = null,
    double? MaxEnsembleStdRatio = 2.0,
    double? MinLengthRatio = 0.3,
    double? MaxLengthRatio = 4.0,
    double? MaxRepetition = 0.5,
    int Patience = 3,
    int BaselineIterations = 3)
{
    /// <summary>The monitors these settings switch on, in a fixed order.</summary>
    public List<IGuardMonitor> CreateMonitors()
    {
        var monitors = new List<IGuardMonitor>();
        if (GoldDrop is not null || GoldDropFraction is not null)
            monitors.Add(new GoldDropMonitor(GoldDrop ?? 0, GoldDropFraction ?? 0, Patience, Smoothing));
        if (HeldOutDrop is { } h) monitors.Add(new HeldOutRewardMonitor(h, Patience, Smoothing));
        if (KlBudget is { } kl) monitors.Add(new KlBudgetMonitor(kl));
        if (MaxEnsembleStdRatio is { } r) monitors.Add(new EnsembleDisagreementMonitor(r, Patience, BaselineIterations));
        if (MinLengthRatio is not null || MaxLengthRatio is not null)
            monitors.Add(new LengthCollapseMonitor(MinLengthRatio ?? 0, MaxLengthRatio ?? double.PositiveInfinity, Patience, BaselineIterations));
        if (MaxRepetition is { } rep) monitors.Add(new RepetitionMonitor(rep, Patience));
        return monitors;
    }
}
