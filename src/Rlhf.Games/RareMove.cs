using System.Text.Json.Serialization;

namespace Rlhf.Games;

/// <summary>
/// A move the self-play policy played in the ladder that the imitation policy rated below the threshold: the
/// position (moves so far), the column, both policies' probabilities, the opponent and the game's result for the
/// self-play side ("win", "draw", "loss").
/// </summary>
public sealed record RareMove(
    [property: JsonPropertyName("position")] string Position,
    [property: JsonPropertyName("column")] int Column,
    [property: JsonPropertyName("imitation_p")] double ImitationProbability,
    [property: JsonPropertyName("selfplay_p")] double SelfPlayProbability,
    [property: JsonPropertyName("opponent")] string Opponent,
    [property: JsonPropertyName("outcome")] string Outcome);
