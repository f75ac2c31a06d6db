namespace Rlhf.Feedback.Rounds;

/// <summary>
/// <c>round_NNN/humans.json</c>, written once the round's tasks are enqueued: which tasks belong to the round, when
/// they were enqueued (the deadline counts from then) and the last label id stored before (labels up to it answered
/// earlier rounds, even for a task whose content came up again). A resumed round reads it and goes on waiting
/// instead of enqueueing again.
/// </summary>
/// <param name="Store">Where the tasks went (database or server), for the resume check.</param>
/// <param name="TaskIds">The store's task id per enqueued group, in <c>tasks.jsonl</c> order.</param>
/// <param name="EnqueuedUtc">When the tasks were enqueued.</param>
/// <param name="AfterLabelId">The highest label id in the store before the round.</param>
/// <param name="Fingerprint">SHA-256 of the tasks' prompts and completions: a resume with other samples is refused.</param>
public sealed record HumanRoundState(string Store, IReadOnlyList<long> TaskIds, DateTimeOffset EnqueuedUtc, long AfterLabelId, string Fingerprint);
