namespace Rlhf.Games;

/// <summary>An illegal move, with the position (as text) and the column named in the message.</summary>
public sealed class IllegalMoveException(ConnectFour position, int column, string reason)
    : Exception($"illegal move: column {column} ({reason}) after {position.MovesPlayed} moves in position\n{position}")
{
    /// <summary>The position the move was tried in.</summary>
    public ConnectFour Position { get; } = position;

    /// <summary>The column tried.</summary>
    public int Column { get; } = column;
}
