using Rlhf.Feedback.Quality;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// The whole database at a glance, with each labeler's quality (<see cref="LabelerQuality"/>). A task is complete when it has <see cref="LabelsPerTask"/> labels.
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
    IReadOnlyList<LabelerQuality> Labelers,
    int AgreementTasks,
    double? MeanAgreement)
{
    /// <summary>Hidden gold / attention-check tasks (not counted in <see cref="Tasks"/>).</summary>
    public int GoldTasks { get; init; }

    /// <summary>Krippendorff's nominal α over completion pairs ordered by ≥ 2 labels (<see cref="QualityReport.PoolAlpha"/>); null when none.</summary>
    public double? Alpha { get; init; }
}

