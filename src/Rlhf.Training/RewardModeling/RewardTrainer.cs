using System.Diagnostics;
using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Distributed;
using Rlhf.Data.Progress;
using Rlhf.Training.Labeling;
using Rlhf.Training.Scoring;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.RewardModeling;

/// <summary>
/// Reward-model training (InstructGPT §3.5; TRL's RewardTrainer with K-wise rankings), in the top-to-bottom shape of
/// <see cref="Sft.SftTrainer"/>: the trunk of a base or SFT checkpoint (<see cref="TrainerConfig.InitCheckpoint"/>)
/// with a fresh score head (<see cref="RewardModel"/>); preference records (pairwise or K-wise,
/// <see cref="PreferenceData"/>) split by prompt into train and held-out sets; each step takes G =
/// <see cref="TrainerConfig.BatchSize"/> prompts from a shuffled epoch, scores all their completions in one forward
/// pass (<see cref="RewardCollator"/>) and minimises <see cref="RankingLoss"/> over all their pairs (weight
/// 1/#pairs of the prompt, optional <see cref="RewardConfig.Margin"/>), plus the centering penalty (<see cref="CenteringPenalty"/>) with
/// <see cref="RewardConfig.CenterCoefficient"/>; AdamW, gradient clipping and the warmup + cosine schedule as the
/// other trainers. Held-out loss and pairwise accuracy every <see cref="TrainerConfig.EvalInterval"/> steps, on the
/// first <see cref="TrainerConfig.EvalBatches"/>·G held-out prompts; with a <see cref="CeilingGold"/> scorer also the
/// labelers' ceilings on exactly those pairs (<see cref="LabelCeiling"/>: the gold scorer's and the labelers' biased
/// utility's agreement with the labels), the figures the held-out accuracy is to be read against.
/// <para>
/// Normalisation: after training, Mean and Std are set so that samples of the reference policy score mean 0, std 1:
/// the <see cref="ReferenceSamples"/> when given (prompt/response pairs sampled from the policy RL will start from),
/// else, as a proxy, every completion of the held-out records (of the training records when nothing is held out) —
/// the completions in preference data usually are such samples.
/// </para>
/// Output: <c>&lt;out&gt;/metrics.jsonl</c> and <c>&lt;out&gt;/checkpoint/</c> (<see cref="TrainingCheckpoint"/>: the
/// reward model in HF layout with <c>score.weight</c> and the normalisation, tokenizer, optimizer moments and
/// <c>trainer_state.json</c>), written every <see cref="TrainerConfig.CheckpointInterval"/> steps and at the end.
/// <c>Run(resume: true)</c> continues from it exactly (weights, optimizer, prompt order and position) — the resumed
/// run's metrics and final model are bit-identical to an uninterrupted run's (tested). Not supported: gradient
/// accumulation, per-pair margins from the data. Under <c>mpiexec</c> each rank takes its shard of every step's
/// prompts (the gradients summed with its share of them, the accuracy counted over all ranks' pairs); evaluation and
/// normalisation run on every rank over the whole set (identical models, identical figures); rank 0 writes.
/// </summary>
public sealed class RewardTrainer
{
    /// <summary>The trainer's name in logs.</summary>
    public const string Kind = "rm";

    private readonly BpeTokenizer _tokenizer;
    private readonly PreferenceData _data;
    private readonly TextWriter _log;
    private readonly IProgressReporter? _progress;

    /// <summary>A trainer on <paramref name="data"/>; <see cref="TrainerConfig.ValFraction"/> of its prompts are held out.</summary>
    /// <summary>
    /// Samples of the reference policy (prompt, response) to normalise on; null = the held-out completions (see the
    /// type). Samples longer than the context are skipped and counted in the log.
    /// </summary>
    public IReadOnlyList<Data.SftExample>? ReferenceSamples { get; init; }

    /// <summary>
    /// The gold scorer the labels were made from, when known: the evaluation then also logs <c>label_ceiling_gold</c>
    /// and <c>label_ceiling_utility</c>, <see cref="LabelCeiling"/> on the evaluated held-out pairs. Null: no ceilings.
    /// </summary>
    public IGoldScorer? CeilingGold { get; init; }

    /// <summary>The labelers' length bias b of their utility gold + b·len/100 (<see cref="SimulatedLabeler"/>), for <c>label_ceiling_utility</c>.</summary>
    public double CeilingLengthBias { get; init; }

    public RewardTrainer(RewardConfig config, BpeTokenizer tokenizer, PreferenceData data, TextWriter? log = null, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(data);
        (Config, _tokenizer, _data, _log, _progress) = (config, tokenizer, data, log ?? Console.Out, progress);
    }

    /// <summary>The settings as given.</summary>
    public RewardConfig Config { get; }

    /// <summary>Test hook, called after each step is logged and checkpointed; throwing from it simulates a crash.</summary>
    internal Action<int>? AfterStep { get; init; }

    /// <summary>Throws <see cref="TrainingException"/> when <paramref name="outDir"/> already holds a reward model (a run would overwrite it).</summary>
    public static void CheckFresh(string outDir)
    {
        string dir = Path.Combine(outDir, RunLayout.CheckpointDirectory);
        if (Directory.Exists(dir) || File.Exists(Path.Combine(outDir, TrainingSetup.MetricsFile)))
            throw new TrainingException($"{outDir} already holds a run ({dir}); continue it with --resume, or choose another output directory (or delete it)");
    }

    /// <summary>Trains for the configured steps or epochs, fresh or (<paramref name="resume"/>) from the run's checkpoint, and saves the normalised reward model.</summary>
    public RewardResult Run(bool resume = false, CancellationToken cancel = default)
    {
        string outDir = Config.OutDir;

        // ---- model: the init checkpoint's trunk + a fresh score head, or the run's own checkpoint (resume)
        if (!resume) CheckFresh(outDir);
        var (trunk, cfg, state, resumeDir) = TrainingSetup.Start<RewardConfig, ShuffledOrderState>(Config, Kind, resume, _tokenizer);
        var model = resumeDir is null ? new RewardModel(trunk, seed: cfg.Seed) : RewardModel.Load(resumeDir, trunk);
        int G = cfg.BatchSize, T = cfg.SeqLen!.Value;

        // ---- data: split by prompt, encode (skip records that do not fit), shuffled epochs of G prompts
        var (trainData, evalData) = _data.Split(cfg.ValFraction, cfg.Seed);
        var collator = new RewardCollator(ChatTemplate.For(_tokenizer, Config.ChatTemplateName), T);
        var train = collator.Encode(trainData.Records, out int skipped);
        var heldWithSources = collator.EncodeWithSources(evalData.Records, out int heldSkipped);
        var held = heldWithSources.Select(x => x.Encoded).ToList();
        if (train.Count == 0)
            throw new TrainingException($"no training record fits {T} tokens ({skipped} of {trainData.Records.Count} have a completion that is too long)");
        var evalSet = cfg.EvalBatches > 0 ? held.Take(cfg.EvalBatches * G).ToList() : [];
        (double Gold, double Utility)? ceilings = evalSet.Count > 0 && CeilingGold is { } ceilingGold
            ? HeldOutCeilings(heldWithSources.Take(evalSet.Count).Select(x => x.Source).ToList(), ceilingGold, CeilingLengthBias)
            : null;
        var order = new ShuffledOrder(train.Count, cfg.Seed + 1); // every record once per epoch, the last batch may be smaller
        int batchesPerEpoch = order.BatchesPerEpoch(G);
        int totalSteps = cfg.MaxSteps > 0 ? cfg.MaxSteps : cfg.Epochs * batchesPerEpoch;
        List<EncodedRanking> NextGroup()
        {
            var indices = order.NextBatch(G);
            var group = new List<EncodedRanking>(indices.Length);
            foreach (int i in indices) group.Add(train[i]);
            return group;
        }

        // ---- optimizer, schedule, and the state to continue from
        var optimizer = new AdamW([.. TrainingSetup.TrainableParameters(trunk), .. model.Head.Parameters()], cfg.Optimizer());
        var schedule = cfg.Schedule(totalSteps);
        int step = 0;
        if (state is not null)
        {
            optimizer.LoadState(Path.Combine(resumeDir!, TrainingCheckpoint.OptimizerFile));
            try { order.Restore(state.Sampler); }
            catch (ArgumentException e) { throw new TrainingException($"the data differs from the checkpoint's: {e.Message}", e); }
            step = state.Step;
        }
        _log.WriteLine($"{Kind}: model {TrainingSetup.Describe(trunk)} + score head");
        _log.WriteLine($"{Kind}: {train.Count} training prompts ({batchesPerEpoch} batches of ≤ {G} per epoch), {held.Count} held out"
            + (evalSet.Count > 0 ? $" (eval on {evalSet.Count})" : " (no evaluation)")
            + $"; skipped {skipped + heldSkipped} records with a completion over {T} tokens");
        _log.WriteLine($"{Kind}: lr {schedule.MaxLr:G4} → {schedule.MinLr:G4} (warmup {schedule.WarmupSteps}), grad clip {cfg.GradClip:G4}, "
            + $"margin {cfg.Margin:G4}, centering {cfg.CenterCoefficient:G4}, {totalSteps} steps" + (state is null ? "" : $"; resuming after step {step}"));
        if (ceilings is { } c0)
            _log.WriteLine($"{Kind}: labelers' ceilings on the evaluated held-out pairs: gold {c0.Gold:P1}, biased utility (length bias {CeilingLengthBias:G4}) {c0.Utility:P1}");

        RewardEvaluation? lastEval = null;
        double lastLoss = double.NaN;
        string SaveCheckpoint(int s, string? _) => TrainingCheckpoint.Save(outDir, model.Trunk, _tokenizer, optimizer,
            new TrainerState<RewardConfig, ShuffledOrderState>(Kind, s, double.NaN, -1, 0, cfg, order.GetState()),
            model.Head.Parameters(), model.NormalizationMetadata());

        // ---- one step: G prompts → scores of all their completions in one forward → ranking loss (+ centering) → backward → clip → AdamW.
        //      Under mpiexec each rank takes its shard of the G prompts (the sampler sets its share of the loss, a mean
        //      over prompts); the optimizer step sums the weighted gradients; the accuracy is counted over all pairs.
        StepOutcome Step(int s, List<(string Name, double Value)> values, ITrainingProgress progress)
        {
            var group = NextGroup();
            int epoch = order.Epoch;
            float lr = schedule.At(s);
            long start = Stopwatch.GetTimestamp();
            double localLoss = 0, correct = 0, pairs = 0, tokens = 0;
            if (group.Count > 0) // empty only on a rank whose shard of a short last batch is empty
            {
                var batch = collator.Collate(group, cfg.Margin);
                var scores = model.Scores(batch.Ids, batch.Rows, batch.SeqLen, batch.Mask);          // (N)
                var loss = RankingLoss.Compute(scores, batch.Pairs, batch.Groups);                    // scalar
                if (cfg.CenterCoefficient > 0) loss = loss + CenteringPenalty.Compute(scores, batch.Pairs, batch.Groups, cfg.CenterCoefficient);
                loss.Backward();
                localLoss = loss.Item();
                pairs = batch.Pairs.Count;
                correct = RankingLoss.Accuracy(scores.ToArray(), batch.Pairs) * pairs;
                tokens = batch.Mask.Count(m => m);
            }
            var (norm, finite) = OptimizerStep.ClipAndUpdate(optimizer, lr, cfg.GradClip);
            double tokensPerSecond = tokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (DataParallel.IsDistributed)
            {
                double[] counts = [correct, pairs];
                DataParallel.World.AllReduceSum(counts);
                (correct, pairs) = (counts[0], counts[1]);
            }
            step = s + 1;
            lastLoss = localLoss;
            double accuracy = pairs == 0 ? double.NaN : correct / pairs;
            values.AddRange([("loss", lastLoss), ("accuracy", accuracy), ("lr", lr), ("grad_norm", norm), ("tokens_per_s", tokensPerSecond), ("epoch", epoch)]);
            if (!finite) progress.Log($"{Kind}: step {step}: gradient norm is {norm}; update skipped");
            return new StepOutcome(lastLoss, tokensPerSecond);
        }

        // ---- evaluation: ranking loss and pairwise accuracy on the held-out prompts
        string? Evaluate(int s, List<(string Name, double Value)> values)
        {
            var e = lastEval = RewardEvaluator.Evaluate(model, evalSet);
            values.AddRange([("eval_loss", e.Loss), ("eval_accuracy", e.Accuracy)]);
            if (ceilings is { } c) values.AddRange([(LabelCeilingGoldMetric, c.Gold), (LabelCeilingUtilityMetric, c.Utility)]);
            return s == 0 ? null : $"{Kind}: step {s}: train loss {lastLoss:F4}, eval loss {e.Loss:F4}, eval accuracy {e.Accuracy:P1}";
        }

        // ---- after the last step: normalisation on the reference samples (or their proxy, see the type); the loop then saves
        int referenceSkipped = 0;
        List<int[]> reference = [];
        void Normalise(bool stopped)
        {
            if (evalSet.Count > 0 && (stopped || step == 0)) lastEval = RewardEvaluator.Evaluate(model, evalSet);
            if (ReferenceSamples is null) reference = (held.Count > 0 ? held : train).SelectMany(r => r.Sequences).ToList();
            else
            {
                reference = [];
                foreach (var sample in ReferenceSamples)
                {
                    var ids = collator.Template.Encode(sample.Prompt, null, sample.Response).Ids;
                    if (ids.Length <= T) reference.Add(ids);
                    else referenceSkipped++;
                }
            }
            if (reference.Count == 0) throw new TrainingException($"no reference sample fits {T} tokens ({referenceSkipped} skipped): nothing to normalise on");
            var raw = RewardCollator.ScoreRaw(model, reference);
            double m = 0, v = 0;
            foreach (float r in raw) m += r;
            m /= raw.Length;
            foreach (float r in raw) v += (r - m) * (r - m);
            double sd = Math.Sqrt(v / raw.Length);
            (model.Mean, model.Std) = ((float)m, sd > 1e-6 ? (float)sd : 1f);
            if (lastEval is not null) lastEval = lastEval with { MeanMargin = lastEval.MeanMargin / model.Std };
        }

        var method = new TrainingMethod
        {
            Kind = Kind, Step = Step, Evaluate = evalSet.Count > 0 ? Evaluate : null, Save = SaveCheckpoint,
            Finish = Normalise, SaveAfterFinish = true,
            Summary = r => $"; last train loss {lastLoss:F4}"
                + (lastEval is null ? "" : $"; eval accuracy {lastEval.Accuracy:P1} [{lastEval.Lower:P1}, {lastEval.Upper:P1}] on {lastEval.Pairs} pairs")
                + $"; normalisation mean {model.Mean:G4}, std {model.Std:G4} ({reference.Count} "
                + (ReferenceSamples is not null ? $"reference samples, {referenceSkipped} too long skipped" : held.Count > 0 ? "held-out completions" : "training completions")
                + $"); reward model in {r.CheckpointDirectory}",
        };
        var loop = TrainingLoop.Run(method, cfg.Loop(totalSteps), step, state is not null, _log, _progress, cancel, AfterStep);
        return new RewardResult(loop.Step, totalSteps, loop.Stopped, lastLoss, lastEval, model.Mean, model.Std, skipped, loop.CheckpointDirectory,
            ceilings?.Gold, ceilings?.Utility);
    }

    /// <summary>Metric of the gold scorer's agreement with the labels on the evaluated held-out pairs.</summary>
    public const string LabelCeilingGoldMetric = "label_ceiling_gold";

    /// <summary>Metric of the labelers' biased utility's agreement with the labels on the evaluated held-out pairs.</summary>
    public const string LabelCeilingUtilityMetric = "label_ceiling_utility";

    /// <summary>
    /// <see cref="LabelCeiling"/> of <paramref name="gold"/> and of the labelers' utility (length bias
    /// <paramref name="lengthBias"/>) on <paramref name="heldOut"/>, the records whose pairs the held-out accuracy counts.
    /// </summary>
    public static (double Gold, double Utility) HeldOutCeilings(IReadOnlyList<RankedCompletions> heldOut, IGoldScorer gold, double lengthBias) =>
        (LabelCeiling.Agreement(heldOut, (p, c) => LabelCeiling.Gold(gold, p, c)),
         LabelCeiling.Agreement(heldOut, (p, c) => LabelCeiling.Utility(gold, lengthBias, p, c)));
}
