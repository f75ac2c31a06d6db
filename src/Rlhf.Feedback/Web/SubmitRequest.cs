namespace Rlhf.Feedback.Web;

/// <summary>
/// Body of <c>POST /api/tasks/{id}/labels</c> (camelCase JSON): <c>{"submissionId", "ranking": [best, …, worst],
/// "ties"?: [[i, j], …], "allBad"?, "unsafe"?, "elapsedMs"?}</c>. Nullable so a missing field is reported by name.
/// </summary>
public sealed record SubmitRequest(string? SubmissionId, int[]? Ranking, int[][]? Ties, bool? AllBad, bool? Unsafe, long? ElapsedMs);
