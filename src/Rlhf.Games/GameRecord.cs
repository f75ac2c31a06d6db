using System.Text.Json.Serialization;

namespace Rlhf.Games;

/// <summary>
/// One finished game: the players (first moves first), the columns played, and the result.
/// </summary>
/// <param name="First">Name of the first player ('X').</param>
/// <param name="Second">Name of the second player ('O').</param>
/// <param name="Moves">Columns played, in order (an illegal final move is not included).</param>
/// <param name="Winner">0 = first player won, 1 = second won, −1 = draw.</param>
/// <param name="Forfeit">Null, or why the loser forfeited (an illegal move, naming position and move).</param>
public sealed record GameRecord(
    [property: JsonPropertyName("first")] string First,
    [property: JsonPropertyName("second")] string Second,
    [property: JsonIgnore] int[] Moves,
    [property: JsonPropertyName("winner")] int Winner,
    [property: JsonPropertyName("forfeit")] string? Forfeit = null)
{
    /// <summary>Score of the first player: 1 win, ½ draw, 0 loss.</summary>
    [JsonIgnore]
    public double FirstScore => Winner switch { 0 => 1.0, 1 => 0.0, _ => 0.5 };

    /// <summary>The moves as a digit string, e.g. "3342".</summary>
    [JsonPropertyName("moves")]
    public string MoveString => string.Concat(Moves.Select(m => (char)('0' + m)));
}
