namespace Rlhf.Training.Labeling;

/// <summary>
/// Pairwise agreement between rankings, and the "labelers' ceiling": how often a noisy labeler agrees with the
/// gold ordering. A reward model trained on that labeler's comparisons and evaluated against its held-out
/// comparisons cannot be expected to beat the ceiling, because even the gold scorer itself only scores that much.
/// </summary>
public static class Agreement
{
    /// <summary>
    /// Fraction of the C(K,2) item pairs that both rankings order the same way (concordant pairs; Kendall's
    /// τ = 2·agreement − 1). Rankings are permutations of 0..K−1, best first. Identical → 1, reversed → 0; NaN for K &lt; 2.
    /// </summary>
    public static double PairwiseAgreement(IReadOnlyList<int> rankA, IReadOnlyList<int> rankB)
    {
        ArgumentNullException.ThrowIfNull(rankA);
        ArgumentNullException.ThrowIfNull(rankB);
        if (rankA.Count != rankB.Count)
            throw new ArgumentException($"Agreement: rankings have different lengths {rankA.Count} and {rankB.Count}");
        int k = rankA.Count;
        int[] posA = Positions(rankA, nameof(rankA)), posB = Positions(rankB, nameof(rankB));
        long concordant = 0;
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++)
                if ((posA[i] < posA[j]) == (posB[i] < posB[j])) concordant++;
        return k < 2 ? double.NaN : concordant / (k * (k - 1) / 2.0);
    }

    /// <summary>
    /// Concordant and comparable pair counts of a ranking against scores (higher = better): pairs with equal scores
    /// are not comparable and are skipped. Agreement = concordant / comparable.
    /// </summary>
    public static (long Concordant, long Comparable) CountWithScores(IReadOnlyList<int> ranking, ReadOnlySpan<double> scores)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        if (ranking.Count != scores.Length)
            throw new ArgumentException($"Agreement: ranking has {ranking.Count} items but there are {scores.Length} scores");
        int[] pos = Positions(ranking, nameof(ranking));
        long concordant = 0, comparable = 0;
        for (int i = 0; i < scores.Length; i++)
            for (int j = i + 1; j < scores.Length; j++)
            {
                if (scores[i] == scores[j]) continue;
                comparable++;
                if ((pos[i] < pos[j]) == (scores[i] > scores[j])) concordant++;
            }
        return (concordant, comparable);
    }

    /// <summary>Mean <see cref="PairwiseAgreement"/> over all pairs of labelers' rankings of the same items (NaN if fewer than two).</summary>
    public static double MeanInterLabeler(IReadOnlyList<IReadOnlyList<int>> rankings)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < rankings.Count; a++)
            for (int b = a + 1; b < rankings.Count; b++, pairs++) sum += PairwiseAgreement(rankings[a], rankings[b]);
        return pairs == 0 ? double.NaN : sum / pairs;
    }

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
                var (con, com) = CountWithScores(labeler.Rank(groups[g].Prompt, groups[g].Completions), goldScores[g]);
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
            var (con, com) = CountWithScores(labeler.RankScores(goldScores), goldScores);
            concordant += con;
            comparable += com;
        }
        return comparable == 0 ? double.NaN : (double)concordant / comparable;
    }

    private static int[] Positions(IReadOnlyList<int> ranking, string name)
    {
        var pos = new int[ranking.Count];
        Array.Fill(pos, -1);
        for (int p = 0; p < ranking.Count; p++)
        {
            int item = ranking[p];
            if ((uint)item >= (uint)pos.Length || pos[item] >= 0)
                throw new ArgumentException($"Agreement: {name} is not a permutation of 0..{ranking.Count - 1} (bad or repeated item {item})", name);
            pos[item] = p;
        }
        return pos;
    }

    // RankScores never calls the gold scorer; this placeholder only satisfies the constructor.
    private sealed class NoGold : IGoldScorer
    {
        public static readonly NoGold Instance = new();
        public string Name => "none";
        public double Score(string prompt, string completion) => throw new InvalidOperationException("Agreement: scores were given directly");
    }
}
