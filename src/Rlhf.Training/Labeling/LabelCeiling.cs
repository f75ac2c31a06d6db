using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Labeling;

/// <summary>
/// How well a fixed scorer predicts the written labels: the fraction of the labels' comparisons (every untied pair of
/// every ranking, unweighted — the pairs a reward model's pairwise accuracy is measured on) that the scorer orders
/// the same way, a scorer tie counting ½ (as an RM's tied scores do). Computed for the gold scorer (the ceiling an RM
/// that learnt the gold would reach on these labels) and for the labelers' own biased utility gold + b·len/100
/// (with a length bias the best predictor of the labels; an RM can beat the gold ceiling, never this one in expectation).
/// </summary>
public static class LabelCeiling
{
    /// <summary>
    /// Agreement of <paramref name="score"/> (one value per completion of a record) with the pairs of
    /// <paramref name="labels"/>; NaN when there is no pair.
    /// </summary>
    public static double Agreement(IEnumerable<RankedCompletions> labels, Func<string, IReadOnlyList<string>, double[]> score)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(score);
        double agree = 0;
        long pairs = 0;
        foreach (var record in labels)
        {
            var pairList = record.Pairs();
            if (pairList.Count == 0) continue;
            var s = score(record.Prompt, record.Completions);
            foreach (var p in pairList)
            {
                agree += s[p.Better] > s[p.Worse] ? 1 : s[p.Better] == s[p.Worse] ? 0.5 : 0;
                pairs++;
            }
        }
        return pairs == 0 ? double.NaN : agree / pairs;
    }

    /// <summary>The gold scores of <paramref name="completions"/>.</summary>
    public static double[] Gold(IGoldScorer gold, string prompt, IReadOnlyList<string> completions) =>
        [.. completions.Select(c => gold.Score(prompt, c))];

    /// <summary>The labelers' utility before noise: gold + <paramref name="lengthBias"/>·len/100 (<see cref="SimulatedLabeler.BiasedScores"/>).</summary>
    public static double[] Utility(IGoldScorer gold, double lengthBias, string prompt, IReadOnlyList<string> completions) =>
        [.. completions.Select(c => gold.Score(prompt, c) + lengthBias * c.Length / 100.0)];
}
