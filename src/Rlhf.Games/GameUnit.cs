namespace Rlhf.Games;

/// <summary>
/// The games the bootstrap resamples as one: the colour-swapped pair played from one opening (I first, then J
/// first), counted from I's side. The two games share the opening, so their results are correlated; resampling them
/// one by one would understate the spread when a pair is unanimous (both won by the same side).
/// </summary>
public sealed record GameUnit(int Wins, int Draws, int Losses);
