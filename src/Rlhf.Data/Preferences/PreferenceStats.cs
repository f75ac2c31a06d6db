using System.Text.Json.Serialization;

namespace Rlhf.Data.Preferences;

/// <summary>
/// Summary of a preference data set. Lengths are characters of the response text (after conversation flattening)
/// over all expanded pairs, unweighted: for a ranked record the better completion of each pair counts as "chosen".
/// <see cref="ChosenLongerFraction"/> is the length-bias check: a reward model can score well by preferring longer
/// answers when this is far from 0.5.
/// </summary>
public sealed record PreferenceStats(
    [property: JsonPropertyName("format")] PreferenceFormat Format,
    [property: JsonPropertyName("records")] int Records,
    [property: JsonPropertyName("prompts")] int Prompts,
    [property: JsonPropertyName("duplicates")] int Duplicates,
    [property: JsonPropertyName("k_distribution")] IReadOnlyDictionary<int, int> KDistribution,
    [property: JsonPropertyName("pairs")] int Pairs,
    [property: JsonPropertyName("tie_groups")] int TieGroups,
    [property: JsonPropertyName("tied_pairs")] int TiedPairs,
    [property: JsonPropertyName("chosen_chars_mean")] double ChosenCharsMean,
    [property: JsonPropertyName("rejected_chars_mean")] double RejectedCharsMean,
    [property: JsonPropertyName("chosen_chars_median")] double ChosenCharsMedian,
    [property: JsonPropertyName("rejected_chars_median")] double RejectedCharsMedian,
    [property: JsonPropertyName("chosen_longer_fraction")] double ChosenLongerFraction)
{
    /// <summary>
    /// Counts records, distinct prompts, exact duplicates (<see cref="PreferenceData.Dedupe"/>), records per K, pairs
    /// (Σ C(K,2) − tied pairs), tie groups and the pairs they remove; mean and median lengths of chosen vs rejected, and
    /// the fraction of pairs whose chosen text is strictly longer. Lengths are 0 when there are no pairs.
    /// </summary>
    public static PreferenceStats Compute(PreferenceData data)
    {
        var chosen = new List<int>();
        var rejected = new List<int>();
        int longer = 0;
        foreach (var (pair, _) in data.ExpandPairs())
        {
            chosen.Add(pair.Chosen.Length);
            rejected.Add(pair.Rejected.Length);
            if (pair.Chosen.Length > pair.Rejected.Length) longer++;
        }
        var k = new SortedDictionary<int, int>();
        foreach (var r in data.Records) k[r.Completions.Count] = k.GetValueOrDefault(r.Completions.Count) + 1;
        return new PreferenceStats(
            data.Format, data.Records.Count,
            data.Records.Select(r => r.Prompt).Distinct(StringComparer.Ordinal).Count(),
            data.Dedupe().Removed, k, chosen.Count,
            data.Records.Sum(r => r.Ties.Count), data.Records.Sum(r => r.TiedPairCount()),
            Mean(chosen), Mean(rejected), Median(chosen), Median(rejected),
            chosen.Count == 0 ? 0 : (double)longer / chosen.Count);
    }

    private static double Mean(List<int> v) => v.Count == 0 ? 0 : v.Average();

    private static double Median(List<int> v)
    {
        if (v.Count == 0) return 0;
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2.0;
    }
}
