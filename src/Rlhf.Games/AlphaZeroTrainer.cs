using System.Globalization;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Data.Progress;
using Rlhf.Data.Metrics;

namespace Rlhf.Games;

/// <summary>
/// Self-play reinforcement learning from the imitation network (<c>rlhf game selfplay --algorithm az</c>), AlphaZero-style
/// (Silver et al. 2017, 2018). Each iteration:
/// <list type="number">
/// <item>play <see cref="AlphaZeroConfig.GamesPerIteration"/> games of the current network against itself from
/// random two-ply openings, every move chosen by a <see cref="Mcts"/> search (root Dirichlet noise; sampled ∝ visits
/// for the first <see cref="AlphaZeroConfig.TemperatureMoves"/> moves, then the most visited);</item>
/// <item>store each position with its search policy π (visit shares) and the final outcome z for the side to move —
/// the only reward is the game's win/draw/loss, which the learner cannot game;</item>
/// <item>take <see cref="AlphaZeroConfig.StepsPerIteration"/> AdamW steps on <see cref="AlphaZeroLoss"/> over
/// minibatches from the replay buffer.</item>
/// </list>
/// The search is a training-time policy-improvement operator only: snapshots are evaluated (Elo ladder) as raw
/// policy networks with no search, like the imitation network, so the two are compared on equal terms.
/// Every <see cref="AlphaZeroConfig.SnapshotEvery"/> iterations: <c>snapshots/selfplay-iN.safetensors</c> and a
/// checkpoint (network, optimizer, replay buffer, RNG) from which a resume continues bit for bit.
/// </summary>
public static class AlphaZeroTrainer
{
    /// <summary>Trainer kind written into the checkpoint.</summary>
    public const string Kind = "game-selfplay-az";

    private const string BufferFile = "replay.safetensors";

    /// <summary>
    /// Trains from the network in <paramref name="initFile"/> into <paramref name="outDir"/> (or resumes). <paramref name="stopAfter"/>
    /// stops after that many total iterations (resume tests); <paramref name="cancel"/> stops at the next snapshot.
    /// </summary>
    public static AlphaZeroResult Run(string outDir, string initFile, AlphaZeroConfig config, bool resume = false, int? stopAfter = null,
        IProgressReporter? progress = null, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(config.SnapshotEvery, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.Simulations, 1);
        Directory.CreateDirectory(Path.Combine(outDir, "snapshots"));
        IOptimizer NewOptimizer(PolicyValueNet n) => new AdamW(n.Parameters, new AdamWConfig(config.LearningRate, Beta2: 0.999f, WeightDecay: config.WeightDecay));

        // 1. network, optimizer, RNG, replay buffer: fresh, or from the checkpoint
        PolicyValueNet net;
        IOptimizer opt;
        Rng rng;
        ReplayBuffer buffer;
        int it = 0;
        if (resume)
        {
            AlphaZeroState s;
            (net, opt, s) = GameCheckpoint.Load<AlphaZeroState>(outDir, NewOptimizer);
            if (s.Kind != Kind) throw new InvalidDataException($"{outDir}: the checkpoint was written by {s.Kind}, not {Kind}");
            if (s.Config with { Iterations = config.Iterations } != config)
                throw new InvalidDataException($"{outDir}: resume needs the run's settings ({s.Config}); only the iterations may change");
            (it, rng) = (s.Iteration, Rng.FromState(s.Rng));
            buffer = ReplayBuffer.Load(Path.Combine(GameCheckpoint.Directory(outDir), BufferFile), config.BufferSize);
        }
        else
        {
            net = PolicyValueNet.Load(initFile);
            opt = NewOptimizer(net);
            rng = new Rng(config.Seed);
            buffer = new ReplayBuffer(config.BufferSize);
            net.Save(SnapshotPath(outDir, 0), new Dictionary<string, string> { ["init"] = Path.GetFullPath(initFile) });
        }
        using var metrics = resume ? MetricsWriter.Resume(Path.Combine(outDir, "metrics.jsonl"), it) : MetricsWriter.Create(Path.Combine(outDir, "metrics.jsonl"));
        using var bar = (progress ?? NullProgress.Instance).Start("selfplay", config.Iterations, it);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long positionsSeen = 0;
        var mcts = new Mcts(net, new MctsConfig(config.Simulations, config.CPuct));

        double pl = double.NaN, vl = double.NaN;
        bool stopped = false;
        int end = Math.Min(config.Iterations, stopAfter ?? config.Iterations);
        while (it < end)
        {
            // 2. self-play games with search; positions go to the buffer with z filled in at the game's end
            int positions = 0, plies = 0;
            double firstScore = 0;
            for (int g = 0; g < config.GamesPerIteration; g++)
            {
                var (gamePositions, winner, length) = PlayGame(mcts, config, rng);
                foreach (var (x, mask, pi, mover) in gamePositions)
                    buffer.Add(x, mask, pi, winner < 0 ? 0f : winner == mover ? 1f : -1f);
                positions += gamePositions.Count;
                plies += length;
                firstScore += winner switch { 0 => 1, 1 => 0, _ => 0.5 };
            }

            // 3. gradient steps on minibatches from the buffer
            double loss = 0;
            pl = vl = 0;
            for (int k = 0; k < (buffer.Count >= config.MinBuffer ? config.StepsPerIteration : 0); k++)
            {
                var (bx, bm, bpi, bz) = buffer.Sample(config.BatchSize, rng);
                var (logits, value) = net.Forward(bx, bm);
                var (total, p, v) = AlphaZeroLoss.Compute(logits, value, bpi, bz, config.ValueWeight);
                opt.ZeroGrad();
                total.Backward();
                GradClip.ClipGlobalNorm(net.Parameters, 1f);
                opt.Step();
                (loss, pl, vl) = (loss + total.Item() / config.StepsPerIteration, pl + p / config.StepsPerIteration, vl + v / config.StepsPerIteration);
            }
            it++;
            positionsSeen += positions;
            metrics.Write(it, ("loss", loss), ("policy_loss", pl), ("value_loss", vl), ("positions", positions), ("buffer", buffer.Count),
                ("game_length", (double)plies / config.GamesPerIteration), ("first_player_score", firstScore / config.GamesPerIteration));
            bar.Update(it, loss, positionsSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds));

            // 4. snapshot + checkpoint
            if (it % config.SnapshotEvery == 0 || it == end)
            {
                if (it % config.SnapshotEvery == 0)
                    net.Save(SnapshotPath(outDir, it), new Dictionary<string, string> { ["iteration"] = it.ToString(CultureInfo.InvariantCulture) });
                GameCheckpoint.Save(outDir, net, opt, new AlphaZeroState(Kind, it, config, rng.GetState(), Path.GetFullPath(initFile)),
                    dir => buffer.Save(Path.Combine(dir, BufferFile)));
                if (cancel.IsCancellationRequested && it < end) { stopped = true; break; }
            }
        }
        if (it == config.Iterations) net.Save(Path.Combine(outDir, GameCheckpoint.ModelFile));
        var snaps = Enumerable.Range(0, it / config.SnapshotEvery + 1).Select(k => SnapshotPath(outDir, k * config.SnapshotEvery)).ToList();
        return new AlphaZeroResult(it, pl, vl, snaps, stopped);
    }

    /// <summary>The settings saved in the checkpoint of <paramref name="outDir"/> (to resume with).</summary>
    public static AlphaZeroConfig ReadConfig(string outDir) => GameCheckpoint.ReadState<AlphaZeroState>(outDir).Config;

    /// <summary>Path of the snapshot after <paramref name="iteration"/> iterations (0 = the initial network).</summary>
    public static string SnapshotPath(string outDir, int iteration) => Path.Combine(outDir, "snapshots", $"selfplay-i{iteration}.safetensors");

    /// <summary>One self-play game with search: the positions (input, mask, π, mover), the winner (−1 draw) and the number of moves.</summary>
    internal static (List<(float[] X, float[] Mask, float[] Pi, int Mover)> Positions, int Winner, int Length) PlayGame(Mcts mcts, AlphaZeroConfig config, Rng rng)
    {
        var pos = ConnectFour.Empty.Play(rng.NextInt(ConnectFour.Columns)).Play(rng.NextInt(ConnectFour.Columns));
        var list = new List<(float[], float[], float[], int)>();
        while (!pos.IsOver)
        {
            var visits = mcts.Search(pos, rng);
            int total = visits.Sum();
            var pi = visits.Select(n => (float)n / total).ToArray();
            var x = new float[BoardFeatures.Size];
            var mask = new float[ConnectFour.Columns];
            BoardFeatures.Encode(pos, x, mask);
            list.Add((x, mask, pi, pos.ToMove));
            int move = pos.MovesPlayed < config.TemperatureMoves ? NetPlayer.SampleFrom(pi, rng) : Array.IndexOf(visits, visits.Max());
            pos = pos.Play(move);
        }
        return (list, pos.Winner, pos.MovesPlayed);
    }
}
