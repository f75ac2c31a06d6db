using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Rounds;

/// <summary>
/// What an operator's program needs of a label store to run rounds with people (<see cref="HumanRound"/>): put tasks
/// in front of the labelers and read back what they answered. Two ways in: the database itself
/// (<see cref="StoreLabelDesk"/>) or a running label app's admin API (<see cref="HttpLabelDesk"/>), so the same round
/// logic runs beside the app or from another machine.
/// </summary>
public interface ILabelDesk : IDisposable
{
    /// <summary>Where the labels live, for messages (a database path or the server's address).</summary>
    string Location { get; }

    /// <summary>Enqueues <paramref name="tasks"/> (idempotent: a task already queued keeps its id); the task id of each input, in order.</summary>
    IReadOnlyList<long> Enqueue(IReadOnlyList<LabelTaskInput> tasks, string source);

    /// <summary>Every stored label with an id above <paramref name="afterId"/>, oldest first, with its task.</summary>
    IReadOnlyList<StoredLabel> LabelsAfter(long afterId);
}
