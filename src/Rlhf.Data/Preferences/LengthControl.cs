namespace Rlhf.Data.Preferences;

/// <summary>
/// Controlling for the length bias of preference data (longer answers win more often, so a reward model can score
/// well by rewarding length alone; <see cref="PreferenceStats.ChosenLongerFraction"/> reports it) at data time:
/// <see cref="LengthMatchedPairs"/> trains only on comparisons of similar-length responses, so length cannot explain
/// the label. (At scoring time, <c>Rlhf.Training.Scoring.LengthPenaltyReward</c> subtracts a length term.)
/// Lengths are characters of the response text, the unit of <c>SimulatedLabelerConfig.LengthBias</c>.
/// </summary>
public static class LengthControl
{
    /// <summary>The pairs a length-matched filter kept, and what it dropped.</summary>
    /// <param name="Pairs">Kept comparisons, in record then ranking order.</param>
    /// <param name="Dropped">Pairs whose longer response is more than maxRatio times the shorter.</param>
    /// <param name="Identical">Pairs whose two texts are equal (a pairwise record cannot hold them).</param>
    public sealed record MatchedPairs(IReadOnlyList<PreferencePair> Pairs, int Dropped, int Identical);

    /// <summary>
    /// Every comparison of <paramref name="data"/> (<see cref="PreferenceData.ExpandPairs"/>) whose lengths satisfy
    /// <c>max(len_chosen, len_rejected) ≤ maxRatio · min(len_chosen, len_rejected)</c>, as pairwise records.
    /// Each kept pair becomes a record of weight 1, so a K-wise record no longer counts as one batch element
    /// (its 1 / C(K,2) weight is lost). <paramref name="maxRatio"/> ≥ 1; 1 keeps only equal lengths, ∞ keeps all.
    /// </summary>
    public static MatchedPairs LengthMatchedPairs(PreferenceData data, double maxRatio)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(maxRatio >= 1)) throw new ArgumentOutOfRangeException(nameof(maxRatio), maxRatio, "LengthControl: the length ratio must be >= 1");
        var kept = new List<PreferencePair>();
        int dropped = 0, identical = 0;
        foreach (var (pair, _) in data.ExpandPairs())
        {
            if (pair.Chosen == pair.Rejected) { identical++; continue; }
            int a = pair.Chosen.Length, b = pair.Rejected.Length;
            if (Math.Max(a, b) > maxRatio * Math.Min(a, b)) { dropped++; continue; }
            kept.Add(pair);
        }
        return new MatchedPairs(kept, dropped, identical);
    }
}
