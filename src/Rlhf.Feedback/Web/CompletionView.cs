namespace Rlhf.Feedback.Web;

/// <summary>One completion card: <see cref="Index"/> is what a ranking refers to, <see cref="Text"/> is shown as plain text.</summary>
public sealed record CompletionView(int Index, string Text);
