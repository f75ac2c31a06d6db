using Rlhf.Tensors;

namespace Rlhf.Games.Tests;

public class PlayersTests
{
    private sealed class FixedPlayer(int column) : IPlayer
    {
        public string Name => $"always{column}";
        public int ChooseMove(ConnectFour position, Rng rng) => column;
    }

    private sealed class ThrowingPlayer : IPlayer
    {
        public string Name => "crasher";
        public int ChooseMove(ConnectFour position, Rng rng) => throw new InvalidOperationException("boom");
    }

    [Theory]
    [InlineData("greedy")]
    [InlineData("ab1")]
    [InlineData("ab3")]
    public void Experts_take_an_immediate_win(string name)
    {
        var b = ConnectFour.FromMoves("001122"); // X to move, column 3 wins
        Assert.Equal(3, Experts.Create(name).ChooseMove(b, new Rng(1)));
    }

    [Theory]
    [InlineData("greedy")]
    [InlineData("ab3")]
    public void Experts_that_look_ahead_block_an_immediate_threat(string name)
    {
        var b = ConnectFour.FromMoves("06162"); // X has 0,1,2 on the bottom row; O must block column 3
        Assert.Equal(3, Experts.Create(name).ChooseMove(b, new Rng(1)));
    }

    [Fact]
    public void Unknown_expert_names_are_rejected_with_the_accepted_names()
    {
        var e = Assert.Throws<ArgumentException>(() => Experts.Create("minimax"));
        Assert.Contains("random, greedy, or ab1", e.Message);
        Assert.False(Experts.IsExpert("ab0"));
        Assert.True(Experts.IsExpert("ab5"));
    }

    [Fact]
    public void Deeper_alpha_beta_beats_shallower_and_everything_beats_random()
    {
        var rng = new Rng(3);
        double Score(IPlayer a, IPlayer b)
        {
            double s = 0;
            foreach (var op in Referee.TwoPlyOpenings().Take(10))
                s += Referee.Play(a, b, rng, op).FirstScore + 1 - Referee.Play(b, a, rng, op).FirstScore;
            return s / 20;
        }
        Assert.True(Score(new GreedyPlayer(), new RandomPlayer()) > 0.8);
        Assert.True(Score(new AlphaBetaPlayer(3), new AlphaBetaPlayer(1)) > 0.6);
    }

    [Fact]
    public void An_illegal_move_forfeits_the_game_naming_position_and_move_and_the_match_goes_on()
    {
        var rng = new Rng(1);
        var rec = Referee.Play(new FixedPlayer(0), new RandomPlayer(), rng);
        // X fills column 0 with O playing randomly: at the latest X's 4th stone... either X wins in column 0 or column 0 fills and X forfeits
        Assert.True(rec.Winner == 0 || rec.Forfeit is not null);
        var off = Referee.Play(new RandomPlayer(), new FixedPlayer(9), rng, [3]);
        Assert.Equal(0, off.Winner); // O forfeits at once
        Assert.NotNull(off.Forfeit);
        Assert.Contains("always9 (O) forfeits: illegal move column 9", off.Forfeit);
        Assert.Contains("off the board", off.Forfeit);
        Assert.Contains("after moves \"3", off.Forfeit);
        Assert.Contains(ConnectFour.FromMoves(off.Moves).ToString(), off.Forfeit);
        var crash = Referee.Play(new ThrowingPlayer(), new RandomPlayer(), rng);
        Assert.Equal(1, crash.Winner);
        Assert.Contains("the player failed: boom", crash.Forfeit);
        // a ladder with a cheater completes and scores the forfeits as losses
        var result = EloLadder.Run([new(new RandomPlayer(), "expert"), new(new FixedPlayer(9), "expert")], Referee.TwoPlyOpenings().Take(2).ToList(), rng, bootstrap: 10);
        Assert.Equal(4, result.Pairs[0].Wins);
    }

    [Fact]
    public void Full_column_forfeit_names_the_full_column()
    {
        var rec = Referee.Play(new FixedPlayer(0), new FixedPlayer(0), new Rng(1));
        // X and O alternate in column 0: no four (colours alternate), the 7th stone is illegal for X
        Assert.Equal(1, rec.Winner);
        Assert.Contains("column 0 is full", rec.Forfeit);
        Assert.Equal("000000", rec.MoveString);
    }

    [Fact]
    public void Games_are_reproducible_from_the_seed()
    {
        var a = Referee.Play(new AlphaBetaPlayer(2), new GreedyPlayer(), new Rng(42), [2, 4]);
        var b = Referee.Play(new AlphaBetaPlayer(2), new GreedyPlayer(), new Rng(42), [2, 4]);
        Assert.Equal(a.MoveString, b.MoveString);
    }
}
