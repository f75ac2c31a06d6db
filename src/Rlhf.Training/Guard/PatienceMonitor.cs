using System.Globalization;
using System.Text.Json.Nodes;

namespace Rlhf.Training.Guard;

/// <summary>
/// The shared shape of every monitor: a per-iteration condition (<see cref="Check"/>) that must hold for
/// <see cref="Patience"/> iterations in a row before the monitor says Stop — one noisy iteration never crops a run.
/// While it holds for fewer iterations the monitor says Warning. Iterations without the metric leave the streak as is.
/// </summary>
public abstract class PatienceMonitor : IGuardMonitor
{
    private int _streak;

    /// <summary>A monitor called <paramref name="name"/> that stops after <paramref name="patience"/> violating iterations in a row.</summary>
    protected PatienceMonitor(string name, int patience)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1);
        (Name, Patience) = (name, patience);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Violating iterations in a row needed to stop.</summary>
    public int Patience { get; }

    /// <inheritdoc/>
    public MonitorReading Observe(int iteration, IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        bool? violated = Check(iteration, metrics, out string problem);
        if (violated is null) return MonitorReading.Ok;          // metric absent: no evidence either way
        if (violated == false) { _streak = 0; return MonitorReading.Ok; }
        _streak++;
        string reason = $"{Name}: {problem} ({_streak}/{Patience} iterations)";
        return new(_streak >= Patience ? MonitorLevel.Stop : MonitorLevel.Warning, reason);
    }

    /// <summary>
    /// Updates the monitor's own state with this iteration and says whether its condition holds: null when the
    /// metric it reads is absent or not finite (state untouched), else true/false with the values seen in
    /// <paramref name="problem"/>.
    /// </summary>
    protected abstract bool? Check(int iteration, IReadOnlyDictionary<string, double> metrics, out string problem);

    /// <summary>Writes the subclass's state into <paramref name="state"/>.</summary>
    protected abstract void Save(JsonObject state);

    /// <summary>Reads the subclass's state from <paramref name="state"/>.</summary>
    protected abstract void Load(JsonObject state);

    /// <inheritdoc/>
    public JsonNode SaveState()
    {
        var state = new JsonObject { ["streak"] = _streak };
        Save(state);
        return state;
    }

    /// <inheritdoc/>
    public void LoadState(JsonNode state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var o = state.AsObject();
        _streak = o["streak"]!.GetValue<int>();
        Load(o);
    }

    /// <summary>The metric <paramref name="key"/> when present and finite.</summary>
    protected static bool TryGet(IReadOnlyDictionary<string, double> metrics, string key, out double value) =>
        metrics.TryGetValue(key, out value) && double.IsFinite(value);

    /// <summary>A nullable double from saved state.</summary>
    protected static double? Read(JsonObject state, string key) => state[key]?.GetValue<double>();

    /// <summary>Formats a value for reasons: 4 significant digits, invariant culture.</summary>
    protected static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Exponential moving average s ← a·s + (1 − a)·x (a = 0: no smoothing; the first value starts it).</summary>
    protected static double Ema(double? previous, double x, double smoothing) =>
        previous is { } s ? smoothing * s + (1 - smoothing) * x : x;
}
