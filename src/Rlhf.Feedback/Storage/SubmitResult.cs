namespace Rlhf.Feedback.Storage;

/// <summary>The stored label's id, and whether this request was a retry of one already stored (nothing new written).</summary>
public sealed record SubmitResult(long LabelId, bool Duplicate);
