using System.Numerics;
using System.Text;

namespace Rlhf.Games;

/// <summary>
/// A Connect Four position (7 columns × 6 rows, gravity drop, four in a row horizontally, vertically or diagonally
/// wins, a full board is a draw) as two bitboards, immutable: <see cref="Play"/> returns the next position.
/// <para>
/// Bit layout (the classic one of John Tromp's solver): column c uses bits 7c … 7c+5 bottom to top, bit 7c+6 is an
/// always-empty sentinel, so a shift by 1 (vertical), 7 (horizontal), 6 and 8 (diagonals) never wraps between
/// columns and a four-in-a-row test is four shifts and ANDs per direction. Cell index for features is row·7 + col
/// with row 0 at the bottom.
/// </para>
/// </summary>
public readonly struct ConnectFour : IEquatable<ConnectFour>
{
    /// <summary>Board width.</summary>
    public const int Columns = 7;

    /// <summary>Board height.</summary>
    public const int Rows = 6;

    /// <summary>Cells on the board (the longest possible game).</summary>
    public const int Cells = Columns * Rows;

    private readonly ulong _first, _second;

    private ConnectFour(ulong first, ulong second, int moves) => (_first, _second, MovesPlayed) = (first, second, moves);

    /// <summary>The empty board, first player ('X') to move.</summary>
    public static ConnectFour Empty => default;

    /// <summary>Stones on the board.</summary>
    public int MovesPlayed { get; }

    /// <summary>The player to move: 0 = first player ('X'), 1 = second ('O').</summary>
    public int ToMove => MovesPlayed & 1;

    /// <summary>Stones of player 0 or 1 as a bitboard (see the type for the layout).</summary>
    public ulong Stones(int player) => player == 0 ? _first : _second;

    /// <summary>All occupied cells.</summary>
    public ulong Occupied => _first | _second;

    /// <summary>The player with four in a row (0 or 1), or −1.</summary>
    public int Winner => HasFour(_first) ? 0 : HasFour(_second) ? 1 : -1;

    /// <summary>True when <paramref name="player"/> has four in a row (cheaper than <see cref="Winner"/> when only the last mover can have won).</summary>
    public bool IsWinningFor(int player) => HasFour(Stones(player));

    /// <summary>True when somebody has won or the board is full.</summary>
    public bool IsOver => MovesPlayed == Cells || Winner >= 0;

    /// <summary>True when the game ended with a full board and no four in a row.</summary>
    public bool IsDraw => MovesPlayed == Cells && Winner < 0;

    /// <summary>Stones in column <paramref name="col"/> (0 … 6).</summary>
    public int Height(int col) => BitOperations.PopCount(Occupied & ColumnMask(col));

    /// <summary>True when <paramref name="col"/> is on the board, not full, and the game is not over.</summary>
    public bool IsLegal(int col) => col is >= 0 and < Columns && (Occupied & TopCell(col)) == 0 && !IsOver;

    /// <summary>True when column <paramref name="col"/> (0 … 6) has an empty cell; no game-over check (search inner loops).</summary>
    internal bool HasRoom(int col) => (Occupied & TopCell(col)) == 0;

    /// <summary>Why <paramref name="col"/> is illegal here, or null when it is legal.</summary>
    public string? WhyIllegal(int col) =>
        col is < 0 or >= Columns ? $"column {col} is off the board (columns are 0-{Columns - 1})"
        : IsOver ? "the game is already over"
        : (Occupied & TopCell(col)) != 0 ? $"column {col} is full"
        : null;

    /// <summary>Legal columns, ascending; empty when the game is over.</summary>
    public int LegalMoves(Span<int> dst)
    {
        int n = 0;
        for (int c = 0; c < Columns; c++) if (IsLegal(c)) dst[n++] = c;
        return n;
    }

    /// <summary>Drops a stone of the player to move into <paramref name="col"/>; throws <see cref="IllegalMoveException"/> (naming position and move) when illegal.</summary>
    public ConnectFour Play(int col)
    {
        if (WhyIllegal(col) is { } why) throw new IllegalMoveException(this, col, why);
        return PlayUnchecked(col);
    }

    /// <summary><see cref="Play"/> without the legality check (search inner loops; the caller guarantees legality).</summary>
    internal ConnectFour PlayUnchecked(int col)
    {
        ulong cell = (Occupied + BottomCell(col)) & ColumnMask(col); // the lowest empty cell: carry through the column
        return ToMove == 0 ? new(_first | cell, _second, MovesPlayed + 1) : new(_first, _second | cell, MovesPlayed + 1);
    }

    /// <summary>True when the player to move can win at once by playing <paramref name="col"/> (which must be legal).</summary>
    public bool IsWinningMove(int col)
    {
        ulong cell = (Occupied + BottomCell(col)) & ColumnMask(col);
        return HasFour(Stones(ToMove) | cell);
    }

    /// <summary>The position after playing <paramref name="moves"/> (columns) from the empty board; throws on an illegal move.</summary>
    public static ConnectFour FromMoves(IEnumerable<int> moves)
    {
        var b = Empty;
        foreach (int m in moves) b = b.Play(m);
        return b;
    }

    /// <summary>The position after a string of column digits, each a 0-based column, e.g. "3344"; throws on an illegal move or a non-digit.</summary>
    public static ConnectFour FromMoves(string moves) => FromMoves(moves.Select(ch => ch is >= '0' and <= '9' ? ch - '0' : -1));

    /// <summary>True when bitboard <paramref name="b"/> contains four in a row in any direction.</summary>
    public static bool HasFour(ulong b)
    {
        foreach (int d in Directions)
        {
            ulong m = b & (b >> d);
            if ((m & (m >> (2 * d))) != 0) return true;
        }
        return false;
    }

    /// <summary>Shifts between neighbouring cells: vertical 1, diagonal 6, horizontal 7, anti-diagonal 8.</summary>
    internal static ReadOnlySpan<int> Directions => [1, 6, 7, 8];

    /// <summary>Bit of cell (row, col), row 0 at the bottom.</summary>
    public static ulong Cell(int row, int col) => 1UL << (col * (Rows + 1) + row);

    private static ulong BottomCell(int col) => 1UL << (col * (Rows + 1));

    private static ulong TopCell(int col) => 1UL << (col * (Rows + 1) + Rows - 1);

    private static ulong ColumnMask(int col) => ((1UL << Rows) - 1) << (col * (Rows + 1));

    /// <summary>Owner of cell (row, col): 0, 1, or −1 when empty.</summary>
    public int At(int row, int col) => (_first & Cell(row, col)) != 0 ? 0 : (_second & Cell(row, col)) != 0 ? 1 : -1;

    /// <summary>The board as text, top row first ('X' first player, 'O' second, '.' empty) with column numbers.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int r = Rows - 1; r >= 0; r--)
        {
            for (int c = 0; c < Columns; c++) sb.Append(At(r, c) switch { 0 => 'X', 1 => 'O', _ => '.' });
            sb.Append('\n');
        }
        sb.Append("0123456");
        return sb.ToString();
    }

    /// <inheritdoc/>
    public bool Equals(ConnectFour other) => _first == other._first && _second == other._second;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ConnectFour b && Equals(b);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_first, _second);

    /// <summary>Same stones.</summary>
    public static bool operator ==(ConnectFour a, ConnectFour b) => a.Equals(b);

    /// <summary>Different stones.</summary>
    public static bool operator !=(ConnectFour a, ConnectFour b) => !a.Equals(b);
}
