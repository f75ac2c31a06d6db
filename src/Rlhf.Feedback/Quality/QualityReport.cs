using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Quality;

/// <summary>
/// Labeler quality from the stored labels: per labeler (<see cref="LabelerQuality"/>) agreement with the majority and
/// with gold orders, time per task, position and length bias; over the pool Krippendorff's nominal α on completion
/// pairs. A unit of α is one (task, pair i &lt; j); each label that orders the pair gives it the value "i above j" or
/// "j above i" (a tie is a missing value). Flags count as the ranking shows: this measures how people order.
/// </summary>
public static class QualityReport
{
    /// <summary>Per-labeler quality, in the order of <paramref name="labelers"/> (labelers without labels left out).</summary>
    public static IReadOnlyList<LabelerQuality> PerLabeler(IReadOnlyList<StoredLabel> labels, IReadOnlyList<string> labelers)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var byTask = labels.GroupBy(l => l.Task.Id).ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<LabelerQuality>();
        foreach (string name in labelers)
        {
            var mine = labels.Where(l => l.Labeler == name).ToList();
            if (mine.Count == 0) continue;
            var ms = mine.Where(l => l.ElapsedMs is not null).Select(l => (double)l.ElapsedMs!.Value).Order().ToList();
            double? median = ms.Count == 0 ? null : (ms[(ms.Count - 1) / 2] + ms[ms.Count / 2]) / 2000.0;

            long majorityAgree = 0, majorityPairs = 0, goldAgree = 0, goldPairs = 0, longer = 0, lengthPairs = 0;
            int firstBest = 0, goldLabels = 0;
            double chance = 0;
            foreach (var label in mine)
            {
                var mineOrder = Preferences(label);
                var others = byTask[label.Task.Id].Where(l => l.Id != label.Id).Select(Preferences).ToList();
                if (others.Count >= 2)
                    foreach (var ((i, j), iAbove) in mineOrder)
                    {
                        int forI = others.Count(o => o.TryGetValue((i, j), out bool v) && v), forJ = others.Count(o => o.TryGetValue((i, j), out bool v) && !v);
                        if (forI == forJ) continue;
                        majorityPairs++;
                        if (iAbove == forI > forJ) majorityAgree++;
                    }
                if (label.Task.Gold is { } gold)
                {
                    goldLabels++;
                    var goldOrder = Preferences(gold, []);
                    foreach (var (pair, iAbove) in mineOrder)
                    {
                        goldPairs++;
                        if (goldOrder[pair] == iAbove) goldAgree++;
                    }
                }
                var texts = label.Task.Completions;
                foreach (var ((i, j), iAbove) in mineOrder)
                    if (texts[i].Length != texts[j].Length)
                    {
                        lengthPairs++;
                        if (iAbove == texts[i].Length > texts[j].Length) longer++;
                    }
                int k = texts.Count;
                if (DisplayOrder.Of(label.Task.Id, label.LabelerId, k)[0] == label.Ranking[0]) firstBest++;
                chance += 1.0 / k;
            }
            double? majority = Fraction(majorityAgree, majorityPairs), goldAgreement = Fraction(goldAgree, goldPairs);
            result.Add(new LabelerQuality(name, mine.Count, median, majority, goldLabels, goldAgreement,
                (double)firstBest / mine.Count, chance / mine.Count, Fraction(longer, lengthPairs), goldAgreement ?? majority));
        }
        return result;
    }

    /// <summary>Krippendorff's nominal α over every (task, completion pair) ordered by ≥ 2 labels; null when there is none.</summary>
    public static double? PoolAlpha(IReadOnlyList<StoredLabel> labels)
    {
        var units = new List<IReadOnlyList<int>>();
        foreach (var task in labels.GroupBy(l => l.Task.Id))
        {
            var prefs = task.Select(Preferences).ToList();
            int k = task.First().Task.Completions.Count;
            for (int i = 0; i < k; i++)
                for (int j = i + 1; j < k; j++)
                    units.Add([.. prefs.Where(p => p.ContainsKey((i, j))).Select(p => p[(i, j)] ? 1 : 0)]);
        }
        return Krippendorff.NominalAlpha(units);
    }

    /// <summary>For every pair i &lt; j the label orders strictly: whether i is above j.</summary>
    internal static Dictionary<(int, int), bool> Preferences(StoredLabel label) => Preferences(label.Ranking, label.Ties);

    private static Dictionary<(int, int), bool> Preferences(IReadOnlyList<int> ranking, IReadOnlyList<int[]> ties)
    {
        var group = new Dictionary<int, int>();
        for (int g = 0; g < ties.Count; g++)
            foreach (int i in ties[g]) group[i] = g;
        var position = new int[ranking.Count];
        for (int p = 0; p < ranking.Count; p++) position[ranking[p]] = p;
        var result = new Dictionary<(int, int), bool>();
        for (int i = 0; i < ranking.Count; i++)
            for (int j = i + 1; j < ranking.Count; j++)
                if (!(group.TryGetValue(i, out int gi) && group.TryGetValue(j, out int gj) && gi == gj))
                    result[(i, j)] = position[i] < position[j];
        return result;
    }

    private static double? Fraction(long part, long whole) => whole == 0 ? null : (double)part / whole;
}
