using System.Text.Json.Nodes;

namespace Rlhf.Training.Rl;

/// <summary>
/// Watches an RL run iteration by iteration (the reward-hacking guard): given each iteration's metrics
/// (<see cref="RlMetricNames"/> keys), says whether this is the best iteration so far by its criterion (the trainer
/// then keeps a "best" checkpoint) and whether to stop the run, and why. Its state is saved with the run's checkpoint
/// so a resumed run's guard behaves exactly as the uninterrupted one's.
/// </summary>
public interface IRunGuard
{
    /// <summary>Observes iteration <paramref name="iteration"/>'s metrics.</summary>
    GuardVerdict Observe(int iteration, IReadOnlyDictionary<string, double> metrics);

    /// <summary>The guard's state as JSON (saved with checkpoints).</summary>
    JsonNode SaveState();

    /// <summary>Restores <see cref="SaveState"/>'s output.</summary>
    void LoadState(JsonNode state);
}
