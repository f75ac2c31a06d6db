namespace Rlhf.Feedback.Storage;

/// <summary>
/// One labeling task: a prompt and its K completions (indices 0..K-1 are what rankings refer to), with the optional
/// conversation before the prompt, AI critiques per completion and, for a hidden gold task, the known order
/// (see <see cref="LabelTaskInput"/>).
/// </summary>
public sealed record FeedbackTask(long Id, string Prompt, IReadOnlyList<string> Completions)
{
    /// <summary>Earlier turns, oldest first; empty for a single-turn task.</summary>
    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>An AI-written critique per completion (null for none), or null when the task has none.</summary>
    public IReadOnlyList<string?>? Critiques { get; init; }

    /// <summary>The known order best → worst of a gold / attention-check task; null for an ordinary task.</summary>
    public IReadOnlyList<int>? Gold { get; init; }
}
