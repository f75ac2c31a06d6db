using Rlhf.Training.Labeling;

namespace Rlhf.Feedback.Web;

/// <summary>Body of <c>POST /api/tasks</c> (admins): <c>{"tasks": [{"prompt", "completions": [...]}, …]}</c>, the groups <c>rlhf label enqueue --completions</c> reads.</summary>
public sealed record EnqueueRequest(IReadOnlyList<CompletionGroup>? Tasks);
