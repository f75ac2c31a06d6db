namespace Rlhf.Training.Dpo;

/// <summary>What <see cref="DpoCollator.Encode"/> kept and skipped, for the run log (nothing is skipped silently).</summary>
/// <param name="Pairs">Pairs offered.</param>
/// <param name="Kept">Pairs kept.</param>
/// <param name="Identical">Skipped: chosen and rejected encode to the same ids (no preference to learn).</param>
/// <param name="Empty">Skipped: an empty or whitespace-only chosen or rejected response.</param>
/// <param name="TooLong">Skipped: prompt + the longer response + end-of-text exceeds <paramref name="MaxLength"/> (responses are never cut: the cut part may carry the preference).</param>
/// <param name="MaxLength">The token limit per sequence.</param>
public sealed record DpoFitReport(int Pairs, int Kept, int Identical, int Empty, int TooLong, int MaxLength)
{
    /// <summary>Total skipped pairs.</summary>
    public int Skipped => Identical + Empty + TooLong;

    /// <summary>One line, e.g. <c>kept 98/100 pairs; skipped 1 identical, 0 empty, 1 over 128 tokens</c>.</summary>
    public override string ToString() =>
        $"kept {Kept}/{Pairs} pairs; skipped {Identical} with identical chosen/rejected, {Empty} with an empty response, "
        + $"{TooLong} over {MaxLength} tokens (never truncated)";
}
