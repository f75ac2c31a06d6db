namespace Rlhf.Games;

/// <summary>
/// A move the self-play policy played in the ladder that the imitation policy rated below the threshold: the
/// position (moves so far), the column, both policies' probabilities, the opponent and the game's result for the
/// self-play side ("win", "draw", "loss").
/// </summary>
public sealed record RareMove(string Position, int Column, double ImitationProbability, double SelfPlayProbability, string Opponent, string Outcome);
