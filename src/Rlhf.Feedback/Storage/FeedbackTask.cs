namespace Rlhf.Feedback.Storage;

/// <summary>One labeling task: a prompt and its K completions (indices 0..K-1 are what rankings refer to).</summary>
public sealed record FeedbackTask(long Id, string Prompt, IReadOnlyList<string> Completions);
