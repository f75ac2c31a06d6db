using Rlhf.Tensors;
using Rlhf.Training.Logging;
using Rlhf.Data;

namespace Rlhf.Games.Tests;

public class TrainerTests
{
    private static readonly TrainingProgressOptions Quiet = new() { PlainOutput = TextWriter.Null, Interactive = false };

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
}
