namespace Rlhf.Training.Rl;

/// <summary>
/// Cheap text-shape statistics of responses that reveal degenerate policies without any reward model: a collapse in
/// length (the one-word joke) or a rise in repetition ("great great great ...") are classic signs of reward hacking.
/// </summary>
public static class ResponseStats
{
    /// <summary>
    /// Fraction of the response's n-grams (token ids, n = <paramref name="n"/>) that already occurred earlier in the
    /// same response: 0 for a response without repeats, → 1 for one phrase looped. Responses with fewer than n+1
    /// tokens count as 0.
    /// </summary>
    public static double RepetitionRate(ReadOnlySpan<int> ids, int n = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        int count = ids.Length - n + 1;
        if (count < 2) return 0;
        var seen = new HashSet<string>(count);
        int repeats = 0;
        for (int i = 0; i < count; i++)
            if (!seen.Add(string.Join(',', ids.Slice(i, n).ToArray()))) repeats++;
        return (double)repeats / count;
    }

    /// <summary>Mean length (tokens) and mean repetition rate over <paramref name="samples"/>' completions.</summary>
    public static (double MeanLength, double MeanRepetition) Summarize(IReadOnlyList<RolloutSample> samples, int n = 3)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) return (0, 0);
        double length = 0, repetition = 0;
        foreach (var s in samples)
        {
            length += s.CompletionIds.Length;
            repetition += RepetitionRate(s.CompletionIds, n);
        }
        return (length / samples.Count, repetition / samples.Count);
    }
}
