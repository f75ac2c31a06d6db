using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Labeling;

/// <summary>
/// The "labelers' ceiling" (pairwise agreement of rankings is <see cref="RankingAgreement"/>): how often a noisy labeler agrees with the
/// gold ordering. A reward model trained on that labeler's comparisons and evaluated against its held-out
/// comparisons cannot be expected to beat the ceiling, because even the gold scorer itself only scores that much.
/// </summary>
public static class Agreement
{
    /// <summary>
    /// The labelers' ceiling, estimated by simulation: over <paramref name="draws"/> rankings of every completion
    /// group by <paramref name="labeler"/>, the fraction of comparable pairs (unequal gold score) it orders as the
    /// gold does — pair-weighted, so groups with more completions count more. Uses the labeler's own random stream.
    /// Groups with fewer than two completions contribute nothing; NaN if no pair is comparable.
    /// </summary>
    public static double Ceiling(ILabeler labeler, IGoldScorer gold, IReadOnlyList<(string Prompt, IReadOnlyList<string> Completions)> groups, int draws)
    {
        ArgumentNullException.ThrowIfNull(labeler);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        var goldScores = new double[groups.Count][];
        for (int g = 0; g < groups.Count; g++)
        {
            var c = groups[g].Completions;
            goldScores[g] = new double[c.Count];
            for (int i = 0; i < c.Count; i++) goldScores[g][i] = gold.Score(groups[g].Prompt, c[i]);
        }
        long concordant = 0, comparable = 0;
        for (int d = 0; d < draws; d++)
            for (int g = 0; g < groups.Count; g++)
            {
                var (con, com) = RankingAgreement.CountWithScores(labeler.Rank(groups[g].Prompt, groups[g].Completions), goldScores[g]);
                concordant += con;
                comparable += com;
            }
        return comparable == 0 ? double.NaN : (double)concordant / comparable;
    }

    /// <summary>
    /// The ceiling of <see cref="SimulatedLabeler"/> with <paramref name="config"/> on raw gold scores, without texts
    /// (length bias does not apply): the expected fraction of unequal-score pairs ranked in gold order.
    /// </summary>
    public static double Ceiling(ReadOnlySpan<double> goldScores, SimulatedLabelerConfig config, int draws, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        var labeler = new SimulatedLabeler(NoGold.Instance, config, seed);
        long concordant = 0, comparable = 0;
        for (int d = 0; d < draws; d++)
        {
            var (con, com) = RankingAgreement.CountWithScores(labeler.RankScores(goldScores), goldScores);
            concordant += con;
            comparable += com;
        }
        return comparable == 0 ? double.NaN : (double)concordant / comparable;
    }

    // RankScores never calls the gold scorer; this placeholder only satisfies the constructor.
    private sealed class NoGold : IGoldScorer
    {
        public static readonly NoGold Instance = new();
        public string Name => "none";
        public double Score(string prompt, string completion) => throw new InvalidOperationException("Agreement: scores were given directly");
    }
}
