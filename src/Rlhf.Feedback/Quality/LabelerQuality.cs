namespace Rlhf.Feedback.Quality;

/// <summary>
/// How one labeler labels (<see cref="QualityReport"/>). Agreements are fractions of completion pairs the labeler
/// ordered (tied pairs left out) on which they agree; null when there was nothing to compare.
/// </summary>
/// <param name="Name">The labeler.</param>
/// <param name="Labels">Labels given (gold tasks included).</param>
/// <param name="MedianSeconds">Median time per task; null when not measured.</param>
/// <param name="MajorityAgreement">Agreement with the majority of the other labelers of the same task (tasks with ≥ 2 other labels; pairs where the others split evenly left out).</param>
/// <param name="GoldLabels">Labels on gold / attention-check tasks.</param>
/// <param name="GoldAgreement">Agreement with the known order of gold tasks.</param>
/// <param name="FirstShownBest">Position bias: fraction of labels that rank the card shown first as best.</param>
/// <param name="FirstShownChance">What <paramref name="FirstShownBest"/> would be without bias: the mean of 1/K.</param>
/// <param name="LongerPreferred">Length bias: fraction of ordered pairs of different lengths where the longer completion won (0.5 = none).</param>
/// <param name="Score">The quality export thresholds use: gold agreement when the labeler has gold labels, else majority agreement, else null (not judged).</param>
public sealed record LabelerQuality(
    string Name,
    int Labels,
    double? MedianSeconds,
    double? MajorityAgreement,
    int GoldLabels,
    double? GoldAgreement,
    double? FirstShownBest,
    double? FirstShownChance,
    double? LongerPreferred,
    double? Score);
