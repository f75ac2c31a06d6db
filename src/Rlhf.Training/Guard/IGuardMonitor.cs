using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// One reward-hacking symptom watched iteration by iteration (gold drop, KL budget, length collapse, ...). A monitor
/// reads <see cref="Rl.RlMetricNames"/> keys; when a key it needs is absent (or not finite) it answers Ok and leaves
/// its state untouched, so monitors for metrics a run does not log are harmless. State round-trips through JSON for
/// exact resume.
/// </summary>
public interface IGuardMonitor
{
    /// <summary>Unique short name, used in stop reasons and as the key of the monitor's saved state.</summary>
    string Name { get; }

    /// <summary>Reads iteration <paramref name="iteration"/>'s metrics and updates the monitor's state.</summary>
    MonitorReading Observe(int iteration, IReadOnlyDictionary<string, double> metrics);

    /// <summary>The monitor's state as JSON.</summary>
    JsonNode SaveState();

    /// <summary>Restores <see cref="SaveState"/>'s output.</summary>
    void LoadState(JsonNode state);
}
