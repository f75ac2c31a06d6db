namespace Rlhf.Games;

/// <summary>
/// Results of player <see cref="I"/> against player <see cref="J"/> (indices into the ladder), from I's side.
/// <see cref="Units"/>, when known, splits the games into the colour-swapped pairs the bootstrap resamples together.
/// </summary>
public sealed record PairResult(int I, int J, int Wins, int Draws, int Losses, IReadOnlyList<GameUnit>? Units = null)
{
    /// <summary>Games played.</summary>
    public int Games => Wins + Draws + Losses;

    /// <summary>I's score: wins + ½ draws.</summary>
    public double Score => Wins + 0.5 * Draws;
}
