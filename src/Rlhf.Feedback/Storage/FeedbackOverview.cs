using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// The whole database at a glance. A task is complete when it has <see cref="LabelsPerTask"/> labels.
/// <see cref="MeanAgreement"/> is the mean over the <see cref="AgreementTasks"/> tasks with ≥ 2 labels of the mean
/// pairwise agreement of their rankings (fraction of concordant completion pairs, <c>RankingAgreement.MeanInterLabeler</c>);
/// null when no task has two labels.
/// </summary>
public sealed record FeedbackOverview(
    int Tasks,
    int TasksComplete,
    int TasksRemaining,
    int LabelsPerTask,
    int Labels,
    int AllBad,
    int Unsafe,
    IReadOnlyList<LabelerCount> Labelers,
    int AgreementTasks,
    double? MeanAgreement);

