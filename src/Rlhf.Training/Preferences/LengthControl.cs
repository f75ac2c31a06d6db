namespace Rlhf.Training.Preferences;

/// <summary>
/// Controlling for the length bias of preference data (longer answers win more often, so a reward model can score
/// well by rewarding length alone; <see cref="PreferenceStats.ChosenLongerFraction"/> reports it). Two remedies:
/// <list type="bullet">
/// <item>at data time, <see cref="LengthMatchedPairs"/>: train only on comparisons of similar-length responses, so
/// length cannot explain the label;</item>
/// <item>at scoring time, <see cref="LengthPenalty"/>: subtract a linear length term from the reward.</item>
/// </list>
/// Lengths are characters of the response text, the unit of <see cref="Labeling.SimulatedLabelerConfig.LengthBias"/>.
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

    /// <summary>
    /// A reward correction for use at scoring time: <c>r' = r − α·len/100</c>, len the completion's length in
    /// characters, i.e. α reward units per 100 characters. With α equal to a simulated labeler's LengthBias, r' of
    /// its biased score is the gold score again; for a learned RM, fit α by regressing its rewards on length.
    /// α = 0 is the identity; a negative α rewards length.
    /// </summary>
    public static Func<double, string, double> LengthPenalty(double alpha)
    {
        if (!double.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LengthControl: the length penalty must be finite");
        return (reward, completion) => reward - alpha * completion.Length / 100.0;
    }
}
