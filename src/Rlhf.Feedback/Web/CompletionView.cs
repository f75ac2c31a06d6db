namespace Rlhf.Feedback.Web;

/// <summary>
/// One completion card: <see cref="Index"/> is what a ranking refers to, <see cref="Text"/> is shown as plain text;
/// <see cref="Critique"/> is an AI-written critique of it (null for none), shown beside it and marked as AI-written.
/// </summary>
public sealed record CompletionView(int Index, string Text, string? Critique = null);
