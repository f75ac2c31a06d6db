using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Web;

/// <summary>
/// A task as the page shows it: the earlier conversation (<see cref="Messages"/>, empty for single-turn), the prompt,
/// and completions in this labeler's display order, each with its index in the task. A gold task looks the same.
/// </summary>
public sealed record TaskView(long Id, string Prompt, IReadOnlyList<CompletionView> Completions, IReadOnlyList<ChatMessage> Messages);
