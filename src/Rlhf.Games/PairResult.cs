namespace Rlhf.Games;

/// <summary>Results of player <see cref="I"/> against player <see cref="J"/> (indices into the ladder), from I's side.</summary>
public sealed record PairResult(int I, int J, int Wins, int Draws, int Losses)
{
    /// <summary>Games played.</summary>
    public int Games => Wins + Draws + Losses;

    /// <summary>I's score: wins + ½ draws.</summary>
    public double Score => Wins + 0.5 * Draws;
}
