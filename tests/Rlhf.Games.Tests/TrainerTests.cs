using Rlhf.Tensors;
using Rlhf.Data.Progress;
using Rlhf.Data;

namespace Rlhf.Games.Tests;

public class TrainerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly IProgressReporter Quiet = NullProgress.Instance;

    private static float[][] Weights(string file) => [.. PolicyValueNet.Load(file).Parameters.Select(p => p.ToArray())];

    private static void AssertSameRun(string a, string b)
    {
        var wa = Weights(Path.Combine(a, GameCheckpoint.ModelFile));
        var wb = Weights(Path.Combine(b, GameCheckpoint.ModelFile));
        for (int i = 0; i < wa.Length; i++) Assert.Equal(wa[i], wb[i]); // bit for bit
        Assert.Equal(File.ReadAllLines(Path.Combine(a, "metrics.jsonl")), File.ReadAllLines(Path.Combine(b, "metrics.jsonl")));
    }

    [Fact]
    public void Expert_games_round_trip_through_jsonl_and_bad_lines_name_file_and_line()
    {
        using var tmp = new TempDir();
        var games = ExpertDataset.Generate(new GreedyPlayer(), 5, new Rng(1));
        ExpertDataset.Write(tmp.File("g.jsonl"), games);
        Assert.Equal(games, ExpertDataset.Read(tmp.File("g.jsonl")));
        File.WriteAllLines(tmp.File("bad.jsonl"), [File.ReadLines(tmp.File("g.jsonl")).First(), "{\"expert\":\"x\",\"moves\":\"0000000\",\"opening\":0,\"winner\":-1}"]);
        var e = Assert.Throws<Rlhf.Data.DataFormatException>(() => ExpertDataset.Read(tmp.File("bad.jsonl")));
        Assert.Contains("bad.jsonl:2", e.Message);
        Assert.Contains("column 0 is full", e.Message);
    }

    [Fact]
    public void Imitation_is_reproducible_from_the_seed_and_resumes_bit_for_bit()
    {
        using var tmp = new TempDir();
        var games = ExpertDataset.Generate(new AlphaBetaPlayer(1), 30, new Rng(1));
        var config = new ImitationConfig(Hidden: 16, Epochs: 3, BatchSize: 64);
        string a = tmp.File("a"), b = tmp.File("b"), c = tmp.File("c");
        var ra = ImitationTrainer.Run(a, games, config, progress: Quiet);
        ImitationTrainer.Run(c, games, config, progress: Quiet);
        AssertSameRun(a, c); // same seed, same result
        int mid = ra.Steps / 2 + 1; // inside an epoch
        var first = ImitationTrainer.Run(b, games, config, stopAfterSteps: mid, progress: Quiet);
        Assert.Equal(mid, first.Steps);
        ImitationTrainer.Run(b, games, config, resume: true, progress: Quiet);
        AssertSameRun(a, b);
        Assert.Equal(3, ra.Snapshots.Count);
        Assert.True(double.IsFinite(ra.ValidationAccuracy));
    }

    [Fact]
    public void Policy_gradient_self_play_is_reproducible_and_resumes_bit_for_bit()
    {
        using var tmp = new TempDir();
        string init = tmp.File("init.safetensors");
        PolicyValueNet.Create(16, new Rng(3)).Save(init);
        var config = new SelfPlayConfig(Iterations: 5, GamesPerIteration: 4, Experts: ["greedy"], SnapshotEvery: 2, Seed: 7);
        string a = tmp.File("a"), b = tmp.File("b"), c = tmp.File("c");
        var ra = SelfPlayTrainer.Run(a, init, config, progress: Quiet);
        SelfPlayTrainer.Run(c, init, config, progress: Quiet);
        AssertSameRun(a, c);
        SelfPlayTrainer.Run(b, init, config, stopAfter: 3, progress: Quiet); // stops between snapshots
        SelfPlayTrainer.Run(b, init, config, resume: true, progress: Quiet);
        AssertSameRun(a, b);
        Assert.Equal(3, ra.Snapshots.Count); // i0 (the initial network), i2, i4
        Assert.Throws<InvalidDataException>(() => SelfPlayTrainer.Run(b, init, config with { LearningRate = 1f }, resume: true, progress: Quiet));
    }

    [Fact]
    public void Self_play_metrics_split_expert_and_pool_games()
    {
        using var tmp = new TempDir();
        string init = tmp.File("init.safetensors");
        PolicyValueNet.Create(16, new Rng(3)).Save(init);
        SelfPlayTrainer.Run(tmp.File("e"), init, new SelfPlayConfig(Iterations: 1, GamesPerIteration: 4, Experts: ["random", "greedy"], ExpertFraction: 1), progress: Quiet);
        string line = File.ReadAllLines(tmp.File("e/metrics.jsonl"))[0];
        Assert.Contains("\"score_vs_pool\":\"NaN\"", line); // only experts were played
        Assert.Contains("\"score_vs_best_expert\":", line);
        Assert.DoesNotContain("\"score_vs_experts\":\"NaN\"", line);
    }

    [Fact]
    public void AlphaZero_self_play_is_reproducible_and_resumes_bit_for_bit()
    {
        using var tmp = new TempDir();
        string init = tmp.File("init.safetensors");
        PolicyValueNet.Create(16, new Rng(3)).Save(init);
        var config = new AlphaZeroConfig(Iterations: 4, GamesPerIteration: 2, Simulations: 8, BufferSize: 500, MinBuffer: 20, StepsPerIteration: 2, BatchSize: 16, SnapshotEvery: 2, Seed: 5);
        string a = tmp.File("a"), b = tmp.File("b");
        AlphaZeroTrainer.Run(a, init, config, progress: Quiet);
        AlphaZeroTrainer.Run(b, init, config, stopAfter: 3, progress: Quiet);
        AlphaZeroTrainer.Run(b, init, config, resume: true, progress: Quiet);
        AssertSameRun(a, b);
    }

    /// <summary>How often <paramref name="net"/>'s argmax move equals the expert's in the expert moves of <paramref name="games"/>, and the uniform-over-legal-moves chance of that.</summary>
    private static (double Agreement, double Chance) AgreementWithExpert(PolicyValueNet net, IReadOnlyList<ExpertGame> games)
    {
        int positions = 0, agree = 0;
        double chance = 0;
        Span<int> legal = stackalloc int[ConnectFour.Columns];
        foreach (var g in games)
        {
            var board = ConnectFour.Empty;
            for (int i = 0; i < g.Moves.Length; i++)
            {
                int move = g.Moves[i] - '0';
                if (i >= g.Opening)
                {
                    positions++;
                    if (NetPlayer.Argmax(net.Evaluate(board).Probs) == move) agree++;
                    chance += 1.0 / board.LegalMoves(legal);
                }
                board = board.Play(move);
            }
        }
        return ((double)agree / positions, chance / positions);
    }

    /// <summary>Score (win 1, draw ½) of <paramref name="player"/> against the random player over every 2-ply opening, both colours.</summary>
    private static double ScoreVsRandom(IPlayer player, ulong seed) => ScoreVs(player, new RandomPlayer(), seed);

    private static double ScoreVs(IPlayer player, IPlayer opponent, ulong seed)
    {
        var rng = new Rng(seed);
        double score = 0;
        int games = 0;
        foreach (int[] opening in Referee.TwoPlyOpenings())
        {
            score += Referee.Play(player, opponent, rng, opening).FirstScore;
            score += 1 - Referee.Play(opponent, player, rng, opening).FirstScore;
            games += 2;
        }
        return score / games;
    }

    /// <summary>
    /// Share of positions with an immediate win for the side to move (taken from random games, seeded) in which
    /// <paramref name="net"/>'s argmax move takes a win.
    /// </summary>
    private static double TakesImmediateWins(PolicyValueNet net, int positions, ulong seed)
    {
        var rng = new Rng(seed);
        int found = 0, taken = 0;
        Span<int> legal = stackalloc int[ConnectFour.Columns];
        while (found < positions)
        {
            var board = ConnectFour.Empty;
            while (!board.IsOver)
            {
                int n = board.LegalMoves(legal);
                bool canWin = false;
                for (int i = 0; i < n; i++) canWin |= board.IsWinningMove(legal[i]);
                if (canWin)
                {
                    found++;
                    if (board.IsWinningMove(NetPlayer.Argmax(net.Evaluate(board).Probs))) taken++;
                    break;
                }
                board = board.Play(legal[rng.NextInt(n)]);
            }
        }
        return (double)taken / found;
    }

    [Fact]
    public void Imitation_learns_the_experts_moves_far_better_than_chance_and_than_the_untrained_network()
    {
        using var tmp = new TempDir();
        var expert = new AlphaBetaPlayer(1);
        var config = new ImitationConfig(Hidden: 32, Epochs: 6, BatchSize: 64, LearningRate: 3e-3f, Seed: 2);
        ImitationTrainer.Run(tmp.File("run"), ExpertDataset.Generate(expert, 150, new Rng(1)), config, progress: Quiet);
        var trained = PolicyValueNet.Load(Path.Combine(tmp.File("run"), GameCheckpoint.ModelFile));
        var untrained = PolicyValueNet.Create(config.Hidden, new Rng(config.Seed));

        var unseen = ExpertDataset.Generate(expert, 40, new Rng(77)); // games the network never saw
        var (after, chance) = AgreementWithExpert(trained, unseen);
        var (before, _) = AgreementWithExpert(untrained, unseen);
        output.WriteLine($"agreement with the expert on unseen games: trained {after:P1}, untrained {before:P1}, chance {chance:P1}");
        // measured: trained 58 %, untrained 13 %, chance 15 % (a flipped cross-entropy sign: 4 %)
        Assert.True(after > chance + 0.2, $"trained agreement {after:P1} vs chance {chance:P1}");
        Assert.True(after > before + 0.2, $"trained agreement {after:P1} vs untrained {before:P1}");
    }

    [Fact]
    public void Policy_gradient_self_play_against_the_random_player_learns_to_beat_it()
    {
        using var tmp = new TempDir();
        string init = tmp.File("init.safetensors");
        PolicyValueNet.Create(32, new Rng(3)).Save(init);
        var config = new SelfPlayConfig(Iterations: 150, GamesPerIteration: 16, LearningRate: 3e-3f, Experts: ["random"], ExpertFraction: 1, SnapshotEvery: 150, Seed: 7);
        SelfPlayTrainer.Run(tmp.File("run"), init, config, progress: Quiet);
        var trained = PolicyValueNet.Load(Path.Combine(tmp.File("run"), GameCheckpoint.ModelFile));

        double before = ScoreVsRandom(new NetPlayer("untrained", PolicyValueNet.Load(init)), 11);
        double after = ScoreVsRandom(new NetPlayer("trained", trained), 11);
        output.WriteLine($"score vs random over 98 games: trained {after:P1}, untrained {before:P1}");
        double winsBefore = TakesImmediateWins(PolicyValueNet.Load(init), 200, 5), winsAfter = TakesImmediateWins(trained, 200, 5);
        output.WriteLine($"immediate wins taken in 200 positions: trained {winsAfter:P1}, untrained {winsBefore:P1}");
        // measured: trained 79–83 % vs 55 %, wins taken 25–39 % vs 13 % over training seeds 7–11 (a flipped
        // policy-gradient sign: 38 % and 4.5 %)
        Assert.True(after > before + 0.15, $"score vs random: trained {after:P1} vs untrained {before:P1}");
        Assert.True(winsAfter > winsBefore + 0.06, $"immediate wins taken: trained {winsAfter:P1} vs untrained {winsBefore:P1}");
    }
}
