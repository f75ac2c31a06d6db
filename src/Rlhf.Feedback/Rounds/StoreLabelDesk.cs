using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Rounds;

/// <summary>A label database opened directly (<c>--labeler humans:labels.db</c>, or a PostgreSQL connection string).</summary>
public sealed class StoreLabelDesk(FeedbackStore store) : ILabelDesk
{
    /// <summary>The database.</summary>
    public FeedbackStore Store { get; } = store ?? throw new ArgumentNullException(nameof(store));

    /// <inheritdoc/>
    public string Location => Store.Path;

    /// <inheritdoc/>
    public IReadOnlyList<long> Enqueue(IReadOnlyList<LabelTaskInput> tasks, string source) => Store.EnqueueTasks(tasks, source).Ids;

    /// <inheritdoc/>
    public IReadOnlyList<StoredLabel> LabelsAfter(long afterId) => Store.Labels(afterId, int.MaxValue);

    /// <inheritdoc/>
    public void Dispose() { }
}
