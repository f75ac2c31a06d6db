namespace Rlhf.Games;

/// <summary>Everything a ladder produced: entries, per-pair results, every game, the fitted ratings with intervals.</summary>
public sealed record LadderResult(IReadOnlyList<LadderEntry> Entries, IReadOnlyList<PairResult> Pairs, IReadOnlyList<GameRecord> Games,
    IReadOnlyList<EloRating> Ratings, double[,] DiffLo, double[,] DiffHi)
{
    /// <summary>Index of the entry called <paramref name="name"/> (−1 when absent).</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Entries.Count; i++) if (Entries[i].Name == name) return i;
        return -1;
    }
}
