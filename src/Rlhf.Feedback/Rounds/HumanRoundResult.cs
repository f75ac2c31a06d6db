using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Rounds;

/// <summary>What came back from a <see cref="HumanRound"/>.</summary>
/// <param name="Records">One ranked record per kept label of the round's tasks (labeler name, flags and weight on each), in storage order.</param>
/// <param name="Labels">Labels the round's tasks received (before any quality threshold).</param>
/// <param name="Quota">Labels waited for.</param>
/// <param name="LabelsPerLabeler">Labels of the round per labeler.</param>
/// <param name="Weights">Each labeler's weight at the end of the round (1 for everyone when not weighted).</param>
/// <param name="DeadlineReached">True when the round ended at its deadline with fewer labels than the quota.</param>
public sealed record HumanRoundResult(
    IReadOnlyList<RankedCompletions> Records,
    int Labels,
    int Quota,
    IReadOnlyDictionary<string, int> LabelsPerLabeler,
    IReadOnlyDictionary<string, double> Weights,
    bool DeadlineReached);
