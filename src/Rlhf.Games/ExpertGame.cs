using System.Text.Json.Serialization;
using Rlhf.Data;

namespace Rlhf.Games;

/// <summary>
/// One line of the expert-games dataset (<c>expert_games.jsonl</c>): <c>{"expert":"ab3","moves":"3342…","opening":2,"winner":0}</c>.
/// The first <see cref="Opening"/> moves are a random opening (not expert moves); every later move is the expert's
/// and becomes an imitation target. <see cref="Winner"/>: 0 first player, 1 second, −1 draw.
/// </summary>
public sealed record ExpertGame(
    [property: JsonPropertyName("expert")] string Expert,
    [property: JsonPropertyName("moves")] string Moves,
    [property: JsonPropertyName("opening")] int Opening,
    [property: JsonPropertyName("winner")] int Winner) : IJsonlRecord
{
    /// <inheritdoc/>
    public string? Validate()
    {
        if (string.IsNullOrEmpty(Expert)) return "\"expert\" must be a non-empty string";
        if (Moves is null) return "\"moves\" must be a string of column digits 0-6";
        if (Opening < 0 || Opening > Moves.Length) return $"\"opening\" must be between 0 and the number of moves ({Moves.Length})";
        if (Winner is < -1 or > 1) return "\"winner\" must be -1 (draw), 0 or 1";
        var b = ConnectFour.Empty;
        for (int i = 0; i < Moves.Length; i++)
        {
            int c = Moves[i] - '0';
            if (b.WhyIllegal(c) is { } why) return $"move {i + 1} '{Moves[i]}' is illegal: {why}";
            b = b.PlayUnchecked(c);
        }
        if (!b.IsOver) return "the game is not finished";
        if (b.Winner != Winner) return $"\"winner\" is {Winner} but the moves give {b.Winner}";
        return null;
    }
}
