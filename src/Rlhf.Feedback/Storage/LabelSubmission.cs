using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// A labeler's judgement of one task. <see cref="SubmissionId"/> is chosen by the client once per task view and
/// re-sent on every retry, so a retried request never stores a second label. <see cref="Ranking"/> lists completion
/// indices best to worst; <see cref="Ties"/> groups adjacent indices judged equal (the ranked JSONL format's rules,
/// <c>RankedCompletions.Validate</c>). <see cref="AllBad"/>: every completion is bad (the order still says which is
/// least bad); <see cref="Unsafe"/>: some completion has unsafe content.
/// </summary>
public sealed record LabelSubmission(
    string SubmissionId,
    IReadOnlyList<int> Ranking,
    IReadOnlyList<int[]> Ties,
    bool AllBad = false,
    bool Unsafe = false,
    long? ElapsedMs = null);
