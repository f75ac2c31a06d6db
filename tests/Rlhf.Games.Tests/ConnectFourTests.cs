namespace Rlhf.Games.Tests;

public class ConnectFourTests
{
    [Fact]
    public void Horizontal_win_on_the_bottom_row()
    {
        var b = ConnectFour.FromMoves("0011223"); // X: 0,1,2,3 bottom row; O stacked on 0,1,2
        Assert.Equal(0, b.Winner);
        Assert.True(b.IsOver);
        Assert.False(b.IsDraw);
    }

    [Theory]
    [InlineData("1020304", 0, 7)]  // X: bottom row 1-4 (O stacks column 0 three high)
    [InlineData("0102030", 0, 7)]  // X: four up column 0
    [InlineData("10204060", 1, 8)] // O: four up column 0 (X's 1,2,4,6 has a gap)
    [InlineData("01123223633", 0, 11)] // X: diagonal (0,0) (1,1) (2,2) (3,3)
    [InlineData("65543443033", 0, 11)] // X: anti-diagonal (0,6) (1,5) (2,4) (3,3)
    public void Wins_in_every_direction_end_the_game_at_the_right_move(string moves, int winner, int length)
    {
        var b = ConnectFour.FromMoves(moves[..(length - 1)]);
        Assert.Equal(-1, b.Winner);
        Assert.False(b.IsOver);
        Assert.True(b.IsWinningMove(moves[length - 1] - '0'));
        b = b.Play(moves[length - 1] - '0');
        Assert.Equal(winner, b.Winner);
        Assert.True(b.IsOver);
        Assert.False(b.IsDraw);
        Assert.Equal(0, b.LegalMoves(stackalloc int[7]));
    }

    [Fact]
    public void Full_board_without_four_is_a_draw()
    {
        var b = ConnectFour.FromMoves("000000111111422222233333344444555556666665");
        Assert.Equal(42, b.MovesPlayed);
        Assert.True(b.IsDraw);
        Assert.True(b.IsOver);
        Assert.Equal(0, b.LegalMoves(stackalloc int[7]));
    }

    [Theory]
    [InlineData("000000", 0, "column 0 is full")]
    [InlineData("", 7, "off the board")]
    [InlineData("", -1, "off the board")]
    [InlineData("0011223", 4, "already over")]
    public void Illegal_moves_are_rejected_naming_position_and_move(string moves, int column, string why)
    {
        var b = ConnectFour.FromMoves(moves);
        Assert.False(b.IsLegal(column));
        var e = Assert.Throws<IllegalMoveException>(() => b.Play(column));
        Assert.Contains($"column {column}", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains(b.ToString(), e.Message); // the position, drawn
        Assert.Equal(column, e.Column);
        Assert.Equal(b, e.Position);
    }

    [Fact]
    public void Stones_fall_to_the_lowest_empty_cell_and_turns_alternate()
    {
        var b = ConnectFour.FromMoves("33");
        Assert.Equal(0, b.At(0, 3));
        Assert.Equal(1, b.At(1, 3));
        Assert.Equal(-1, b.At(2, 3));
        Assert.Equal(2, b.Height(3));
        Assert.Equal(0, b.ToMove);
        Assert.True(ConnectFour.FromMoves("001122").IsWinningMove(3));
        Assert.False(ConnectFour.FromMoves("001122").IsWinningMove(4));
    }

    [Fact]
    public void Heuristic_covers_all_69_windows_and_is_antisymmetric()
    {
        Assert.Equal(69, HeuristicEvaluation.WindowCount);
        Assert.Equal(0, HeuristicEvaluation.Evaluate(ConnectFour.Empty));
        var b = ConnectFour.FromMoves("3");
        Assert.True(HeuristicEvaluation.Evaluate(b) < 0); // O to move, X holds the centre
    }
}
