namespace Rlhf.Feedback.Storage;

/// <summary>A person who labels; admins may also see the overview and export.</summary>
public sealed record Labeler(long Id, string Name, bool IsAdmin);
