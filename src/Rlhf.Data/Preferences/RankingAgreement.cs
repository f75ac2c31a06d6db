namespace Rlhf.Data.Preferences;

/// <summary>
/// Pairwise agreement between rankings of the same completions (best first), and of a ranking with scores: the
/// statistics the labeling app and the simulated labelers report (<c>Rlhf.Training.Labeling.Agreement</c> adds the
/// labelers' ceiling).
/// </summary>
public static class RankingAgreement
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
}
