using System.Globalization;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Data.Progress;
using Rlhf.Data.Metrics;

namespace Rlhf.Games;

/// <summary>
/// Self-play reinforcement learning from the imitation policy (<c>rlhf game selfplay</c>). Each iteration:
/// <list type="number">
/// <item>play <see cref="SelfPlayConfig.GamesPerIteration"/> games from random two-ply openings (the ladder's start
/// positions), the learner sampling from its policy and
/// alternating colours, against an opponent drawn per game: an expert with probability
/// <see cref="SelfPlayConfig.ExpertFraction"/>, else a snapshot of its own past (sampling too);</item>
/// <item>label each of the learner's moves with the game's outcome z ∈ {+1, 0, −1} (the only reward: the
/// environment's win/loss, which cannot be gamed);</item>
/// <item>one AdamW step on <see cref="ActorCriticLoss"/> over all of the learner's moves of the iteration.</item>
/// </list>
/// No tree search: the policy network is both trained and evaluated raw, like AlphaGo's RL policy network (the
/// AlphaZero-style alternative with search-made targets is <see cref="AlphaZeroTrainer"/>). Every
/// <see cref="SelfPlayConfig.SnapshotEvery"/> iterations the learner is saved to <c>snapshots/selfplay-iN.safetensors</c>
/// and joins the pool (i0 = the initial imitation policy). Checkpoints at each snapshot resume exactly.
/// </summary>
public static class SelfPlayTrainer
{
    /// <summary>Trainer kind written into the checkpoint.</summary>
    public const string Kind = "game-selfplay";

    /// <summary>
    /// Trains from the network in <paramref name="initFile"/> into <paramref name="outDir"/> (or resumes). <paramref name="stopAfter"/>
    /// stops after that many total iterations (resume tests); <paramref name="cancel"/> stops at the next snapshot.
    /// </summary>
    public static SelfPlayResult Run(string outDir, string initFile, SelfPlayConfig config, bool resume = false, int? stopAfter = null,
        IProgressReporter? progress = null, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(config.SnapshotEvery, 1);
        var experts = config.ExpertOpponents.Select(Experts.Create).ToArray();
        string bestExpert = experts[^1].Name; // the list is weakest first
        Directory.CreateDirectory(Path.Combine(outDir, "snapshots"));
        IOptimizer NewOptimizer(PolicyValueNet n) => new AdamW(n.Parameters, new AdamWConfig(config.LearningRate, Beta2: 0.999f, WeightDecay: 0f));

        // 1. learner, optimizer, game RNG and the opponent pool (fresh, or from the checkpoint and snapshot files)
        PolicyValueNet net;
        IOptimizer opt;
        Rng rng;
        int it = 0;
        if (resume)
        {
            SelfPlayState s;
            (net, opt, s) = GameCheckpoint.Load<SelfPlayState>(outDir, NewOptimizer);
            if (s.Kind != Kind) throw new InvalidDataException($"{outDir}: the checkpoint was written by {s.Kind}, not {Kind}");
            if (!(s.Config with { Iterations = config.Iterations }).SameAs(config))
                throw new InvalidDataException($"{outDir}: resume needs the run's settings ({s.Config}); only the iterations may change");
            (it, rng) = (s.Iteration, Rng.FromState(s.Rng));
        }
        else
        {
            net = PolicyValueNet.Load(initFile);
            opt = NewOptimizer(net);
            rng = new Rng(config.Seed);
            net.Save(SnapshotPath(outDir, 0), new Dictionary<string, string> { ["init"] = Path.GetFullPath(initFile) });
        }
        var pool = Enumerable.Range(0, it / config.SnapshotEvery + 1)
            .Select(k => new NetPlayer($"selfplay@{k * config.SnapshotEvery}", PolicyValueNet.Load(SnapshotPath(outDir, k * config.SnapshotEvery)), sample: true)).ToList();
        using var metrics = resume ? MetricsWriter.Resume(Path.Combine(outDir, "metrics.jsonl"), it) : MetricsWriter.Create(Path.Combine(outDir, "metrics.jsonl"));
        using var bar = (progress ?? NullProgress.Instance).Start("selfplay", config.Iterations, it);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long movesSeen = 0;

        double lastExpert = double.NaN, lastPool = double.NaN;
        bool stopped = false;
        int end = Math.Min(config.Iterations, stopAfter ?? config.Iterations);
        var learner = new NetPlayer("learner", net, sample: true);
        while (it < end)
        {
            // 2. play the iteration's games, recording the learner's moves
            var xs = new List<float>();
            var masks = new List<float>();
            var actions = new List<int>();
            var outcomes = new List<float>();
            double expertScore = 0, poolScore = 0;
            int expertGames = 0, poolGames = 0, bestGames = 0;
            double bestScore = 0;
            var x = new float[BoardFeatures.Size];
            var m = new float[ConnectFour.Columns];
            for (int g = 0; g < config.GamesPerIteration; g++)
            {
                bool vsExpert = rng.NextDouble() < config.ExpertFraction;
                IPlayer opp = vsExpert ? experts[rng.NextInt(experts.Length)] : pool[rng.NextInt(pool.Count)];
                int learnerSide = g & 1, first = actions.Count;
                int[] opening = [rng.NextInt(ConnectFour.Columns), rng.NextInt(ConnectFour.Columns)]; // the ladder's start distribution
                var rec = learnerSide == 0
                    ? Referee.Play(learner, opp, rng, opening, Record)
                    : Referee.Play(opp, learner, rng, opening, Record);
                float z = rec.Winner < 0 ? 0f : rec.Winner == learnerSide ? 1f : -1f;
                for (int k = first; k < actions.Count; k++) outcomes.Add(z);
                double score = (z + 1) / 2;
                if (vsExpert) (expertScore, expertGames) = (expertScore + score, expertGames + 1);
                else (poolScore, poolGames) = (poolScore + score, poolGames + 1);
                if (opp.Name == bestExpert) (bestScore, bestGames) = (bestScore + score, bestGames + 1);

                void Record(ConnectFour pos, int col, int mover)
                {
                    if (mover != learnerSide) return;
                    BoardFeatures.Encode(pos, x, m);
                    xs.AddRange(x);
                    masks.AddRange(m);
                    actions.Add(col);
                }
            }

            // 3. one actor-critic update on all of the learner's moves
            int n = actions.Count;
            var (logits, value) = net.Forward(Tensor.FromArray([.. xs], n, BoardFeatures.Size), Tensor.FromArray([.. masks], n, ConnectFour.Columns));
            var (loss, pl, vl, ent) = ActorCriticLoss.Compute(logits, value, [.. actions], [.. outcomes], config.ValueCoef, config.EntropyCoef);
            opt.ZeroGrad();
            loss.Backward();
            double norm = GradClip.ClipGlobalNorm(net.Parameters, config.MaxGradNorm);
            opt.Step();
            it++;
            movesSeen += n;
            (lastExpert, lastPool) = (expertGames > 0 ? expertScore / expertGames : double.NaN, poolGames > 0 ? poolScore / poolGames : double.NaN);
            metrics.Write(it, ("loss", loss.Item()), ("policy_loss", pl), ("value_loss", vl), ("entropy", ent), ("grad_norm", norm),
                ("score_vs_experts", lastExpert), ("score_vs_pool", lastPool),
                ("score_vs_best_expert", bestGames > 0 ? bestScore / bestGames : double.NaN), ("moves", n));
            bar.Update(it, loss.Item(), movesSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds));

            // 4. snapshot into the pool + checkpoint
            if (it % config.SnapshotEvery == 0 || it == end)
            {
                if (it % config.SnapshotEvery == 0)
                {
                    net.Save(SnapshotPath(outDir, it), new Dictionary<string, string> { ["iteration"] = it.ToString(CultureInfo.InvariantCulture) });
                    pool.Add(new NetPlayer($"selfplay@{it}", net.Clone(), sample: true));
                }
                GameCheckpoint.Save(outDir, net, opt, new SelfPlayState(Kind, it, config, rng.GetState(), Path.GetFullPath(initFile)));
                if (cancel.IsCancellationRequested && it < end) { stopped = true; break; }
            }
        }
        if (it == config.Iterations) net.Save(Path.Combine(outDir, GameCheckpoint.ModelFile));
        var snaps = Enumerable.Range(0, it / config.SnapshotEvery + 1).Select(k => SnapshotPath(outDir, k * config.SnapshotEvery)).ToList();
        return new SelfPlayResult(it, lastExpert, lastPool, snaps, stopped);
    }

    /// <summary>The settings saved in the checkpoint of <paramref name="outDir"/> (to resume with).</summary>
    public static SelfPlayConfig ReadConfig(string outDir) => GameCheckpoint.ReadState<SelfPlayState>(outDir).Config;

    /// <summary>Path of the snapshot after <paramref name="iteration"/> updates (0 = the initial policy).</summary>
    public static string SnapshotPath(string outDir, int iteration) => Path.Combine(outDir, "snapshots", $"selfplay-i{iteration}.safetensors");
}
