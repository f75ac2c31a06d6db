using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Web;

/// <summary>Body of <c>POST /api/tasks</c> (admins): <c>{"tasks": [<see cref="LabelTaskInput"/>, …]}</c>, the lines <c>rlhf label enqueue --completions</c> reads.</summary>
public sealed record EnqueueRequest(IReadOnlyList<LabelTaskInput>? Tasks);
