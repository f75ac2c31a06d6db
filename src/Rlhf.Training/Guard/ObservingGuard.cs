using System.Text.Json.Nodes;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Guard;

/// <summary>
/// A guard that watches but never stops the run ("observe" mode, for demos and studies of what happens past the
/// stop): it passes the inner guard's best-iteration verdicts through until the inner guard first says stop, records
/// that iteration and reason in <see cref="StopIteration"/> / <see cref="StopReason"/>, and from then on reports no
/// new best — so <c>best/</c> holds exactly the checkpoint an in-loop guard would have kept, while the run goes on.
/// Its state (the inner guard's plus the recorded stop) is saved with checkpoints, so a resumed run agrees.
/// </summary>
public sealed class ObservingGuard(IRunGuard inner) : IRunGuard
{
    private readonly IRunGuard _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The iteration at which the inner guard would have stopped the run (null: it has not fired).</summary>
    public int? StopIteration { get; private set; }

    /// <summary>Why the inner guard would have stopped the run.</summary>
    public string? StopReason { get; private set; }

    /// <inheritdoc/>
    public GuardVerdict Observe(int iteration, IReadOnlyDictionary<string, double> metrics)
    {
        if (StopIteration is not null) return GuardVerdict.Continue; // the in-loop run would be over: nothing new to keep
        var verdict = _inner.Observe(iteration, metrics);
        if (verdict.Stop) (StopIteration, StopReason) = (iteration, verdict.Reason);
        return verdict with { Stop = false };
    }

    /// <inheritdoc/>
    public JsonNode SaveState() => new JsonObject
    {
        ["inner"] = _inner.SaveState(),
        ["stop_iteration"] = StopIteration,
        ["stop_reason"] = StopReason,
    };

    /// <inheritdoc/>
    public void LoadState(JsonNode state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _inner.LoadState(state["inner"] ?? throw new InvalidOperationException("observing guard state: missing 'inner'"));
        StopIteration = state["stop_iteration"]?.GetValue<int>();
        StopReason = state["stop_reason"]?.GetValue<string>();
    }
}
