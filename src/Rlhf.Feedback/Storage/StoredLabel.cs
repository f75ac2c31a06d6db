namespace Rlhf.Feedback.Storage;

/// <summary>A label as stored, with its task and the labeler's name (what export and the agreement statistics read).</summary>
public sealed record StoredLabel(
    long Id,
    FeedbackTask Task,
    string Labeler,
    string SubmissionId,
    IReadOnlyList<int> Ranking,
    IReadOnlyList<int[]> Ties,
    bool AllBad,
    bool Unsafe,
    long? ElapsedMs);
