using System.Globalization;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Data.Progress;
using Rlhf.Data.Metrics;

namespace Rlhf.Games;

/// <summary>
/// Supervised imitation of an expert (<c>rlhf game imitate</c>): minimise <see cref="ImitationLoss"/> over the
/// expert's positions with AdamW. Writes <c>metrics.jsonl</c> (per step; validation per epoch), a snapshot per epoch
/// (<c>snapshots/imitate-eN.safetensors</c>, the points of the Elo curve), a resumable checkpoint per epoch, and the
/// final <c>model.safetensors</c>. Resume is exact: the epoch's shuffle is a function of (seed, epoch), everything
/// else is in the checkpoint.
/// </summary>
public static class ImitationTrainer
{
    /// <summary>Trainer kind written into the checkpoint.</summary>
    public const string Kind = "game-imitate";

    /// <summary>
    /// Trains on <paramref name="games"/> into <paramref name="outDir"/>. <paramref name="resume"/> continues from the
    /// checkpoint (the config must match the saved one, <see cref="ReadConfig"/>, except for the epochs). <paramref name="stopAfterSteps"/> stops early after that many total steps
    /// (tests of resume); <paramref name="cancel"/> stops at the next epoch end, saving a checkpoint.
    /// </summary>
    public static ImitationResult Run(string outDir, IReadOnlyList<ExpertGame> games, ImitationConfig config, bool resume = false,
        int? stopAfterSteps = null, IProgressReporter? progress = null, CancellationToken cancel = default)
    {
        // 1. data: the last ValidationFraction of games held out
        int nVal = (int)Math.Round(games.Count * config.ValidationFraction);
        var train = ExpertDataset.FromGames(games.Take(games.Count - nVal));
        var val = ExpertDataset.FromGames(games.Skip(games.Count - nVal));
        if (train.Count == 0) throw new ArgumentException("imitation: no training positions (too few games)");
        int stepsPerEpoch = (train.Count + config.BatchSize - 1) / config.BatchSize, total = stepsPerEpoch * config.Epochs;

        // 2. network, optimizer, state (fresh or from the checkpoint)
        Directory.CreateDirectory(Path.Combine(outDir, "snapshots"));
        IOptimizer NewOptimizer(PolicyValueNet n) => new AdamW(n.Parameters, new AdamWConfig(config.LearningRate, Beta2: 0.999f, WeightDecay: config.WeightDecay));
        PolicyValueNet net;
        IOptimizer opt;
        int step = 0;
        if (resume)
        {
            ImitationState state;
            (net, opt, state) = GameCheckpoint.Load<ImitationState>(outDir, NewOptimizer);
            if (state.Kind != Kind) throw new InvalidDataException($"{outDir}: the checkpoint was written by {state.Kind}, not {Kind}");
            if (state.Config with { Epochs = config.Epochs } != config)
                throw new InvalidDataException($"{outDir}: resume needs the run's settings ({state.Config}); only the epochs may change");
            step = state.Step;
        }
        else
        {
            net = PolicyValueNet.Create(config.Hidden, new Rng(config.Seed));
            opt = NewOptimizer(net);
        }
        using var metrics = resume ? MetricsWriter.Resume(Path.Combine(outDir, "metrics.jsonl"), step) : MetricsWriter.Create(Path.Combine(outDir, "metrics.jsonl"));
        using var bar = (progress ?? NullProgress.Instance).Start("imitate", total, step);

        // 3. the loop: one minibatch per step, validation + snapshot + checkpoint at each epoch end
        int[] perm = [];
        int permEpoch = -1;
        double lastLoss = double.NaN, valLoss = double.NaN, valAcc = double.NaN;
        bool stopped = false;
        long positions = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int end = Math.Min(total, stopAfterSteps ?? total);
        while (step < end)
        {
            int epoch = step / stepsPerEpoch, k = step % stepsPerEpoch;
            if (epoch != permEpoch) (perm, permEpoch) = (EpochOrder(train.Count, config.Seed, epoch), epoch);
            var idx = perm.AsSpan(k * config.BatchSize, Math.Min(config.BatchSize, train.Count - k * config.BatchSize));
            var (x, mask, moves, z) = train.Batch(idx);
            var (logits, value) = net.Forward(x, mask);
            var (loss, pl, vl) = ImitationLoss.Compute(logits, value, moves, z, config.ValueWeight);
            opt.ZeroGrad();
            loss.Backward();
            double norm = GradClip.ClipGlobalNorm(net.Parameters, 1f);
            opt.Step();
            step++;
            lastLoss = loss.Item();
            metrics.Write(step, ("loss", lastLoss), ("policy_loss", pl), ("value_loss", vl), ("accuracy", Accuracy(logits, moves)), ("grad_norm", norm));
            positions += idx.Length;
            bar.Update(step, lastLoss, positions / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
            if (step % stepsPerEpoch == 0 || step == end)
            {
                if (step % stepsPerEpoch == 0)
                {
                    (valLoss, valAcc) = Validate(net, val, config);
                    metrics.Write(step, ("epoch", step / stepsPerEpoch), ("val_loss", valLoss), ("val_accuracy", valAcc));
                    net.Save(SnapshotPath(outDir, step / stepsPerEpoch), new Dictionary<string, string> { ["step"] = step.ToString(CultureInfo.InvariantCulture) });
                }
                GameCheckpoint.Save(outDir, net, opt, new ImitationState(Kind, step, config));
                if (cancel.IsCancellationRequested && step < end) { stopped = true; break; }
            }
        }
        if (step == total) net.Save(Path.Combine(outDir, GameCheckpoint.ModelFile));
        var snaps = Enumerable.Range(1, step / stepsPerEpoch).Select(e => SnapshotPath(outDir, e)).Where(File.Exists).ToList();
        return new ImitationResult(step, lastLoss, valLoss, valAcc, snaps, stopped);
    }

    /// <summary>The settings saved in the checkpoint of <paramref name="outDir"/> (to resume with).</summary>
    public static ImitationConfig ReadConfig(string outDir) => GameCheckpoint.ReadState<ImitationState>(outDir).Config;

    /// <summary>Path of the snapshot taken after epoch <paramref name="epoch"/>.</summary>
    public static string SnapshotPath(string outDir, int epoch) => Path.Combine(outDir, "snapshots", $"imitate-e{epoch}.safetensors");

    /// <summary>The shuffled position order of <paramref name="epoch"/>: a function of seed and epoch only (exact resume).</summary>
    internal static int[] EpochOrder(int n, ulong seed, int epoch)
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Rng(seed * 0x9E3779B97F4A7C15UL + (ulong)epoch + 1).Shuffle<int>(order);
        return order;
    }

    private static double Accuracy(Tensor logits, int[] moves)
    {
        var l = logits.ToArray();
        int hits = 0;
        for (int i = 0; i < moves.Length; i++) if (NetPlayer.Argmax(l.AsSpan(i * ConnectFour.Columns, ConnectFour.Columns)) == moves[i]) hits++;
        return (double)hits / moves.Length;
    }

    private static (double Loss, double Accuracy) Validate(PolicyValueNet net, ExpertDataset val, ImitationConfig config)
    {
        if (val.Count == 0) return (double.NaN, double.NaN);
        using var _ = Tensor.NoGrad();
        double loss = 0, acc = 0;
        for (int s = 0; s < val.Count; s += config.BatchSize)
        {
            int n = Math.Min(config.BatchSize, val.Count - s);
            var (x, mask, moves, z) = val.Batch(Enumerable.Range(s, n).ToArray());
            var (logits, value) = net.Forward(x, mask);
            loss += ImitationLoss.Compute(logits, value, moves, z, config.ValueWeight).Total.Item() * n;
            acc += Accuracy(logits, moves) * n;
        }
        return (loss / val.Count, acc / val.Count);
    }
}
