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
    long? ElapsedMs)
{
    /// <summary>Completions flagged unsafe (empty when none, or when the labeler flagged the task without naming one).</summary>
    public IReadOnlyList<int> UnsafeCompletions { get; init; } = [];

    /// <summary>Whether the labeler was shown AI critiques.</summary>
    public bool SawCritiques { get; init; }

    /// <summary>The labeler's id (for per-labeler statistics).</summary>
    public long LabelerId { get; init; }
}
