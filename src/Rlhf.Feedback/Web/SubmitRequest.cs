namespace Rlhf.Feedback.Web;

/// <summary>
/// Body of <c>POST /api/tasks/{id}/labels</c> (camelCase JSON): <c>{"submissionId", "ranking": [best, …, worst],
/// "ties"?: [[i, j], …], "allBad"?, "unsafe"?, "unsafeCompletions"?: [i, …], "sawCritiques"?, "elapsedMs"}</c>.
/// Nullable so a missing field is reported by name. <c>unsafeCompletions</c> names the completions flagged unsafe
/// (implies <c>unsafe</c>); <c>sawCritiques</c>: the page showed the task's AI critiques.
/// </summary>
public sealed record SubmitRequest(string? SubmissionId, int[]? Ranking, int[][]? Ties, bool? AllBad, bool? Unsafe, long? ElapsedMs,
    int[]? UnsafeCompletions = null, bool? SawCritiques = null);
