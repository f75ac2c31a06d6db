namespace Rlhf.Feedback.Web;

/// <summary>A task as the page shows it: completions in this labeler's display order, each with its index in the task.</summary>
public sealed record TaskView(long Id, string Prompt, IReadOnlyList<CompletionView> Completions);
