namespace Rlhf.Feedback.Quality;

/// <summary>
/// How much each labeler's labels count in the export (weighting rather than dropping, <c>export --weighted</c>):
/// <code>
///   w = clamp(2·s − 1, 0, 1)        s = <see cref="LabelerQuality.Score"/> (gold agreement, else majority agreement)
///   w = 1                           when the labeler is not judged yet (no gold labels, no majority to compare with)
/// </code>
/// s is a fraction of completion pairs ordered as gold (or the majority) orders them, so a labeler who orders pairs at
/// random scores s ≈ ½ and one who always agrees s = 1: 2s − 1 is agreement corrected for chance (the same
/// correction as Cohen's κ with a ½ chance rate): a coin-flipper weighs ≈ 0, a perfect labeler 1, linearly between;
/// below chance counts 0 (an anti-correlated labeler is not trusted in reverse). Unjudged labelers keep full weight,
/// as <c>--min-quality</c> keeps them. The weight multiplies the record's pair weights in the reward model's loss and
/// each of its pairs' losses in DPO (<c>RankedCompletions.Weight</c>).
/// </summary>
public static class LabelerWeights
{
    /// <summary>The weight of a labeler with quality score <paramref name="score"/> (null: not judged → 1).</summary>
    public static double Of(double? score) => score is { } s ? Math.Clamp(2 * s - 1, 0, 1) : 1;

    /// <summary>The weight of every labeler in <paramref name="quality"/>, by name.</summary>
    public static IReadOnlyDictionary<string, double> From(IReadOnlyList<LabelerQuality> quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        return quality.ToDictionary(q => q.Name, q => Of(q.Score), StringComparer.Ordinal);
    }
}
