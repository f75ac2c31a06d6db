using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// Plays games between two <see cref="IPlayer"/>s and enforces the rules: a player that returns an illegal column
/// (off the board, full column) or throws loses the game by forfeit, with the position and move named in
/// <see cref="GameRecord.Forfeit"/> — the match goes on, nothing crashes.
/// </summary>
public static class Referee
{
    /// <summary>
    /// Plays one game from the position after <paramref name="opening"/> (forced first moves, e.g. a random 2-ply
    /// opening so that deterministic players meet in varied positions). <paramref name="onMove"/>, when given, sees
    /// every (position, column, mover index 0/1) before the move is played.
    /// </summary>
    public static GameRecord Play(IPlayer first, IPlayer second, Rng rng, ReadOnlySpan<int> opening = default,
        Action<ConnectFour, int, int>? onMove = null)
    {
        var board = ConnectFour.Empty;
        var moves = new List<int>(ConnectFour.Cells);
        foreach (int m in opening)
        {
            board = board.Play(m);
            moves.Add(m);
        }
        IPlayer[] players = [first, second];
        while (!board.IsOver)
        {
            int mover = board.ToMove;
            int col;
            string? why;
            try
            {
                col = players[mover].ChooseMove(board, rng);
                why = board.WhyIllegal(col);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                (col, why) = (-1, $"the player failed: {e.Message}");
            }
            if (why is not null)
            {
                string forfeit = $"{players[mover].Name} ({(mover == 0 ? "X" : "O")}) forfeits: illegal move column {col} ({why}) after moves \"{string.Concat(moves.Select(m => (char)('0' + m)))}\" in position\n{board}";
                return new GameRecord(first.Name, second.Name, [.. moves], 1 - mover, forfeit);
            }
            onMove?.Invoke(board, col, mover);
            board = board.PlayUnchecked(col);
            moves.Add(col);
        }
        return new GameRecord(first.Name, second.Name, [.. moves], board.Winner);
    }

    /// <summary>The 49 two-ply openings (every first column × every reply), the fixed start positions of ladder matches.</summary>
    public static int[][] TwoPlyOpenings() =>
        [.. Enumerable.Range(0, ConnectFour.Columns).SelectMany(a => Enumerable.Range(0, ConnectFour.Columns).Select(b => new[] { a, b }))];
}
