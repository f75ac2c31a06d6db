namespace Rlhf.Feedback.Storage;

/// <summary>What one labeler has done and what is still open to them.</summary>
public sealed record LabelerProgress(string Name, bool IsAdmin, int Done, int Remaining);
