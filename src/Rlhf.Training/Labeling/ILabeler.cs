namespace Rlhf.Training.Labeling;

/// <summary>Something that ranks K completions of one prompt (a simulated or, later, a human labeler).</summary>
public interface ILabeler
{
    /// <summary>
    /// A full ranking: indices into <paramref name="completions"/>, best first, each index exactly once.
    /// Ties are not reported; every labeler documents how it breaks them.
    /// </summary>
    IReadOnlyList<int> Rank(string prompt, IReadOnlyList<string> completions);
}
