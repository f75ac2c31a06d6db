using System.Globalization;
using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// The reward-hacking guard: runs every <see cref="IGuardMonitor"/> on each iteration's metrics, crops the run when
/// any says Stop (the reason names the monitor, the values it saw, and the best iteration to keep), and tracks the
/// best iteration by this criterion:
/// <list type="number">
/// <item>gold reward, when the run logs one: the true objective, trusted even while monitors warn. Once any iteration
/// had gold, only iterations with gold can be best (no mixing of scales);</item>
/// <item>otherwise proxy reward, but only on iterations where no monitor warns or stops: a rising proxy is exactly
/// what reward hacking looks like, so it counts only while the run looks healthy.</item>
/// </list>
/// All monitors observe every iteration (also after one fires), so states stay consistent. State (best so far,
/// stop flag, each monitor's state) round-trips through <see cref="SaveState"/> for exact resume.
/// </summary>
public sealed class RewardHackingGuard : IRunGuard
{
    private readonly IReadOnlyList<IGuardMonitor> _monitors;

    /// <summary>A guard over <paramref name="monitors"/> (names must be unique).</summary>
    public RewardHackingGuard(IReadOnlyList<IGuardMonitor> monitors)
    {
        ArgumentNullException.ThrowIfNull(monitors);
        var names = new HashSet<string>();
        foreach (var m in monitors)
            if (!names.Add(m.Name)) throw new ArgumentException($"RewardHackingGuard: two monitors are called '{m.Name}'");
        _monitors = monitors;
    }

    /// <summary>A guard with the monitors <paramref name="config"/> switches on.</summary>
    public RewardHackingGuard(GuardConfig config) : this((config ?? throw new ArgumentNullException(nameof(config))).CreateMonitors()) { }

    /// <summary>The monitors, in order.</summary>
    public IReadOnlyList<IGuardMonitor> Monitors => _monitors;

    /// <summary>Best iteration so far (−1 before any).</summary>
    public int BestIteration { get; private set; } = -1;

    /// <summary>The criterion's value at <see cref="BestIteration"/>.</summary>
    public double? BestScore { get; private set; }

    /// <summary>The metric the best iteration is chosen by: <c>gold_reward</c> once gold was seen, else <c>proxy_reward</c>.</summary>
    public string Criterion { get; private set; } = RlMetricNames.ProxyReward;

    /// <summary>True once a monitor stopped the run.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Why the run was stopped (null while running).</summary>
    public string? StopReason { get; private set; }

    /// <summary>The warnings of the last observed iteration (monitors whose condition holds but whose patience is not spent).</summary>
    public IReadOnlyList<string> Warnings { get; private set; } = [];

    /// <inheritdoc/>
    public GuardVerdict Observe(int iteration, IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        // 1. every monitor reads the iteration
        var readings = new MonitorReading[_monitors.Count];
        for (int i = 0; i < readings.Length; i++) readings[i] = _monitors[i].Observe(iteration, metrics);
        Warnings = [.. readings.Where(r => r.Level == MonitorLevel.Warning).Select(r => r.Reason!)];
        bool healthy = readings.All(r => r.Level == MonitorLevel.Ok);

        // 2. best-iteration criterion: gold when logged, else proxy while healthy
        bool hasGold = metrics.TryGetValue(RlMetricNames.GoldReward, out double gold) && double.IsFinite(gold);
        if (hasGold && Criterion != RlMetricNames.GoldReward) (Criterion, BestScore) = (RlMetricNames.GoldReward, null);
        double? score = hasGold ? gold
            : Criterion == RlMetricNames.ProxyReward && healthy && metrics.TryGetValue(RlMetricNames.ProxyReward, out double proxy) && double.IsFinite(proxy) ? proxy
            : null;
        bool isBest = score is { } s && (BestScore is null || s > BestScore);
        if (isBest) (BestIteration, BestScore) = (iteration, score);

        // 3. stop when any monitor says so
        var stops = readings.Where(r => r.Level == MonitorLevel.Stop).Select(r => r.Reason!).ToList();
        if (stops.Count > 0 && !Stopped)
        {
            Stopped = true;
            string best = BestIteration >= 0
                ? $"best iteration {BestIteration} ({Criterion} {BestScore!.Value.ToString("G4", CultureInfo.InvariantCulture)})"
                : "no best iteration yet";
            StopReason = $"reward-hacking guard stopped the run at iteration {iteration}: {string.Join("; ", stops)}; {best}";
        }
        return Stopped ? new GuardVerdict(isBest, true, StopReason) : new GuardVerdict(isBest, false);
    }

    /// <inheritdoc/>
    public JsonNode SaveState()
    {
        var monitors = new JsonObject();
        foreach (var m in _monitors) monitors[m.Name] = m.SaveState();
        return new JsonObject
        {
            ["best_iteration"] = BestIteration,
            ["best_score"] = BestScore,
            ["criterion"] = Criterion,
            ["stopped"] = Stopped,
            ["stop_reason"] = StopReason,
            ["monitors"] = monitors,
        };
    }

    /// <inheritdoc/>
    public void LoadState(JsonNode state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var o = state.AsObject();
        BestIteration = o["best_iteration"]!.GetValue<int>();
        BestScore = o["best_score"]?.GetValue<double>();
        Criterion = o["criterion"]!.GetValue<string>();
        Stopped = o["stopped"]!.GetValue<bool>();
        StopReason = o["stop_reason"]?.GetValue<string>();
        var monitors = o["monitors"]!.AsObject();
        foreach (var m in _monitors)
            m.LoadState(monitors[m.Name] ?? throw new InvalidDataException($"guard state has no state for monitor '{m.Name}' (was the run started with other guard settings?)"));
        Warnings = [];
    }
}
