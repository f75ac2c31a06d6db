namespace Rlhf.Data.Preferences;

/// <summary>
/// K completions of one prompt ranked by a labeler. <see cref="Ranking"/> lists completion indices best to worst
/// (a permutation of 0..K-1); each group in <see cref="Ties"/> holds indices judged equally good, which sit next to
/// each other in the ranking. A pairwise comparison is the K = 2 case (<see cref="PreferencePair.ToRanked"/>).
/// A labeler's flags (the label app's "all bad" and "unsafe") change which pairs the ranking implies, see <see cref="Pairs"/>.
/// </summary>
public sealed record RankedCompletions(string Prompt, IReadOnlyList<string> Completions, IReadOnlyList<int> Ranking, IReadOnlyList<int[]> Ties)
{
    /// <summary>
    /// The prompt as a conversation (user and assistant messages ending with the user's) when the record gave one of
    /// more than one message; null for a single user message, which is <see cref="Prompt"/> itself. <see cref="Prompt"/>
    /// then holds the conversation flattened (see <see cref="PreferenceData"/>) for the plain format; a chat template
    /// renders these messages.
    /// </summary>
    public IReadOnlyList<Rlhf.Models.Tokenization.ChatMessage>? Messages { get; init; }

    /// <summary>The labeler judged every completion bad: the order among bad answers teaches nothing to prefer, so the record gives no pairs.</summary>
    public bool AllBad { get; init; }

    /// <summary>Completion indices flagged unsafe: each is worse than every safe completion, whatever the ranking says (Sparrow's rule violations).</summary>
    public IReadOnlyList<int> Unsafe { get; init; } = [];

    /// <summary>
    /// How much the record counts, ≥ 0 (1 by default): a label store's per-labeler quality weight
    /// (<c>Rlhf.Feedback.Quality.LabelerWeights</c>). It multiplies every pair's weight in <see cref="Pairs"/>, so the
    /// reward model's loss weighs the record by it, and DPO weighs each of the record's pairs by it.
    /// </summary>
    public double Weight { get; init; } = 1;

    /// <summary>Who ranked (a label store's labeler name), for the reader; null when unknown.</summary>
    public string? Labeler { get; init; }

    /// <summary>
    /// All (better, worse) pairs the ranking implies, in ranking order: C(K, 2) minus the pairs inside a tie group
    /// (sum of C(g, 2) over groups of size g), each weighted <c>1 / count</c> so the record counts as one batch element
    /// whatever K is (InstructGPT), times the record's <see cref="Weight"/>. Assumes the record is valid (<see cref="Validate"/>).
    /// Flags: <see cref="AllBad"/> gives no pairs; <see cref="Unsafe"/> completions move below every safe one (the
    /// order is: safe ones in ranking order, then unsafe ones in ranking order), and a tie between a safe and an unsafe
    /// completion is broken in the safe one's favour.
    /// </summary>
    public IReadOnlyList<RankedPair> Pairs()
    {
        if (AllBad) return [];
        var group = TieGroupOf();
        var order = Ranking.Where(i => !Unsafe.Contains(i)).Concat(Ranking.Where(i => Unsafe.Contains(i))).ToList();
        var pairs = new List<(int, int)>();
        for (int a = 0; a < order.Count; a++)
            for (int b = a + 1; b < order.Count; b++)
            {
                int better = order[a], worse = order[b];
                bool sameSafety = Unsafe.Contains(better) == Unsafe.Contains(worse);
                if (sameSafety && group[better] >= 0 && group[better] == group[worse]) continue; // equal: no preference to learn
                pairs.Add((better, worse));
            }
        if (pairs.Count == 0) return [];
        double weight = 1.0 / pairs.Count * Weight;
        return pairs.ConvertAll(p => new RankedPair(p.Item1, p.Item2, weight));
    }

    /// <summary>Number of comparisons left out because both completions sit in one tie group: Σ C(g, 2).</summary>
    public int TiedPairCount() => Ties.Sum(g => g.Length * (g.Length - 1) / 2);

    /// <summary>
    /// Null when the record is usable, else what is wrong: non-empty prompt and completions, K ≥ 2, a ranking that is a
    /// permutation of 0..K-1 (out-of-range, duplicate and missing indices named), tie groups of ≥ 2 valid distinct
    /// indices, each index in at most one group, adjacent in the ranking, and at least one pair left to compare.
    /// </summary>
    public string? Validate()
    {
        int k = Completions.Count;
        if (string.IsNullOrWhiteSpace(Prompt)) return "field 'prompt' must be non-empty text";
        if (k < 2) return $"expected at least 2 completions to rank, found {k}";
        for (int i = 0; i < k; i++)
            if (string.IsNullOrWhiteSpace(Completions[i])) return $"completion {i} must be non-empty text";
        var seen = new bool[k];
        foreach (int r in Ranking)
        {
            if (r < 0 || r >= k) return $"'ranking' index {r} is out of range (expected 0..{k - 1} for {k} completions)";
            if (seen[r]) return $"'ranking' lists index {r} twice (expected a permutation of 0..{k - 1})";
            seen[r] = true;
        }
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0) return $"'ranking' misses index {missing} (expected a permutation of 0..{k - 1})";

        var position = new int[k];
        for (int p = 0; p < k; p++) position[Ranking[p]] = p;
        var inGroup = new bool[k];
        for (int g = 0; g < Ties.Count; g++)
        {
            var tie = Ties[g];
            if (tie.Length < 2) return $"tie group {g} must hold at least 2 completion indices, found {tie.Length}";
            foreach (int i in tie)
            {
                if (i < 0 || i >= k) return $"tie group {g}: index {i} is out of range (expected 0..{k - 1})";
                if (inGroup[i]) return $"tie group {g}: index {i} is already in a tie group";
                inGroup[i] = true;
            }
            int first = tie.Min(i => position[i]), last = tie.Max(i => position[i]);
            if (last - first + 1 != tie.Length)
                return $"tie group {g} [{string.Join(", ", tie)}] is not adjacent in the ranking (positions {string.Join(", ", tie.Select(i => position[i]))})";
        }
        if (TiedPairCount() == k * (k - 1) / 2) return "all completions are tied: the record holds no comparison";
        foreach (int u in Unsafe)
            if (u < 0 || u >= k) return $"'unsafe' index {u} is out of range (expected 0..{k - 1})";
        if (Unsafe.Distinct().Count() != Unsafe.Count) return "'unsafe' lists an index twice";
        if (!(Weight >= 0 && double.IsFinite(Weight))) return $"'weight' {Weight} must be a finite number >= 0";
        return null;
    }

    /// <summary>Tie group index per completion, -1 when untied.</summary>
    private int[] TieGroupOf()
    {
        var group = new int[Completions.Count];
        Array.Fill(group, -1);
        for (int g = 0; g < Ties.Count; g++)
            foreach (int i in Ties[g]) group[i] = g;
        return group;
    }
}
