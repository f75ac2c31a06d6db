using System.Diagnostics;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Data.Progress;

namespace Rlhf.Training.Pretrain;

/// <summary>
/// Language-model pretraining on a packed token stream, laid out like nanoGPT's train.py: model, data, optimizer,
/// then a loop of (batch → forward → cross-entropy → backward → clip → AdamW at the scheduled learning rate), with a
/// validation loss every <see cref="TrainerConfig.EvalInterval"/> steps and the full training state saved every
/// <see cref="TrainerConfig.CheckpointInterval"/> steps and at the end (<see cref="TrainingCheckpoint"/>).
/// <para>
/// Data: the corpus is split by <see cref="TokenDataset.Split"/> (the last <see cref="TrainerConfig.ValFraction"/> of
/// the tokens are validation); training batches are random (T+1)-token windows of the train split
/// (<see cref="PackedBatchSampler"/>), evaluation uses the first <see cref="TrainerConfig.EvalBatches"/> batches of
/// consecutive validation windows, the same ones every time, so val-loss changes are not sampling noise.
/// </para>
/// <para>
/// Exact resume: <c>Run(resume: true)</c> restores weights, AdamW moments and step counts, the sampler's generator and
/// the best val loss, and cuts <c>metrics.jsonl</c> back to the checkpoint's step; every later loss is then
/// bit-identical to an uninterrupted run's (the engine's kernels do not depend on thread timing).
/// Cancelling <see cref="Run"/>'s token stops after the current step and saves a checkpoint.
/// Not supported: gradient accumulation, dropout, multiple processes.
/// </para>
/// </summary>
public sealed class PretrainTrainer
{
    /// <summary>The trainer's name in checkpoints and logs.</summary>
    public const string Kind = "pretrain";

    private readonly BpeTokenizer _tokenizer;
    private readonly TokenDataset _corpus;
    private readonly TextWriter _log;
    private readonly IProgressReporter? _progress;

    /// <summary>
    /// A trainer over <paramref name="corpus"/> (tokens of <paramref name="tokenizer"/>, which is saved with every
    /// checkpoint). Messages go to <paramref name="log"/> (default: stdout); <paramref name="progress"/> configures the
    /// progress display.
    /// </summary>
    public PretrainTrainer(PretrainConfig config, BpeTokenizer tokenizer, TokenDataset corpus, TextWriter? log = null,
        IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(corpus);
        (Config, _tokenizer, _corpus, _log, _progress) = (config, tokenizer, corpus, log ?? Console.Out, progress);
    }

    /// <summary>The settings as given (the run resolves the model and sequence length from them).</summary>
    public PretrainConfig Config { get; }

    /// <summary>Test hook, called after each step is logged and checkpointed; throwing from it simulates a crash.</summary>
    internal Action<int>? AfterStep { get; init; }

    /// <summary>Trains to <see cref="TrainerConfig.MaxSteps"/>, fresh or (<paramref name="resume"/>) from the run's checkpoint.</summary>
    public PretrainResult Run(bool resume = false, CancellationToken cancel = default)
    {
        string outDir = Config.OutDir;

        // ---- model: the run's checkpoint (resume), an init checkpoint, or a fresh one
        var (model, cfg, state, resumeDir) = TrainingSetup.Start<PretrainConfig, PackedSamplerState>(Config, Kind, resume, _tokenizer);
        int B = cfg.BatchSize, T = cfg.SeqLen!.Value;

        // ---- data: train/val split, random training windows, fixed validation windows
        var (train, val) = _corpus.Split(cfg.ValFraction);
        if (train.Count < T + 1)
            throw new TrainingException($"the training split has {train.Count} tokens, fewer than one window of {T} + 1; give more text or a shorter sequence length");
        var evalBatches = new List<TokenBatch>();
        if (cfg.EvalBatches > 0 && cfg.ValFraction > 0)
        {
            if (val.WindowCount(T) == 0)
                throw new TrainingException($"the validation split has {val.Count} tokens, fewer than one window of {T} + 1; "
                    + "give more text or a larger validation fraction (0 disables evaluation)");
            evalBatches.AddRange(val.SequentialBatches(B, T).Take(cfg.EvalBatches));
        }
        var sampler = new PackedBatchSampler(train, B, T, cfg.Seed + 1);
        double unigram = UnigramEntropy.Nats(train.Tokens);

        // ---- optimizer, schedule, and the state to continue from
        var optimizer = new AdamW(model.Parameters(), cfg.Optimizer());
        var schedule = cfg.Schedule(cfg.MaxSteps);
        var heldOut = new HeldOutLoss(Kind, evalBatches.Select(b => (b.Inputs, b.Targets, b.BatchSize, b.SeqLen)).ToList());
        int step = 0;
        double lastLoss = double.NaN;
        long tokensSeen = 0;
        if (state is not null)
        {
            optimizer.LoadState(Path.Combine(resumeDir!, TrainingCheckpoint.OptimizerFile));
            try { sampler.Restore(state.Sampler); }
            catch (ArgumentException e) { throw new TrainingException($"the data differs from the checkpoint's: {e.Message}", e); }
            (step, heldOut.Best, heldOut.BestStep, tokensSeen) = (state.Step, state.BestValLoss, state.BestValStep, state.TokensSeen);
        }
        _log.WriteLine($"{Kind}: model {TrainingSetup.Describe(model)}");
        _log.WriteLine($"{Kind}: {train.Count:N0} train tokens (unigram entropy {unigram:F4} nats), {val.Count:N0} validation tokens"
            + (evalBatches.Count > 0 ? $" (eval on {evalBatches.Sum(b => b.BatchSize)} windows of {T})" : " (no evaluation)"));
        _log.WriteLine($"{Kind}: batch {B}×{T}, lr {schedule.MaxLr:G4} → {schedule.MinLr:G4} (warmup {schedule.WarmupSteps}, cosine to step {schedule.DecaySteps}), "
            + $"weight decay {cfg.WeightDecay:G4}, grad clip {cfg.GradClip:G4}, {cfg.MaxSteps} steps"
            + (state is null ? "" : $"; resuming after step {step}"));

        // ---- one step: next batch → forward → cross-entropy → backward → clip → AdamW (TrainStep)
        StepOutcome Step(int s, List<(string Name, double Value)> values, ITrainingProgress progress)
        {
            var batch = sampler.Next();
            long start = Stopwatch.GetTimestamp();
            var r = TrainStep.Run(model, optimizer, schedule.At(s), batch.Inputs, batch.Targets, batch.BatchSize, T, cfg.GradClip);
            double tokensPerSecond = batch.TokenCount / Stopwatch.GetElapsedTime(start).TotalSeconds;
            tokensSeen += batch.TokenCount;
            lastLoss = r.Loss;
            values.AddRange([("loss", r.Loss), ("lr", r.LearningRate), ("grad_norm", r.GradNorm), ("tokens_per_s", tokensPerSecond)]);
            if (r.Skipped) progress.Log($"{Kind}: step {s + 1}: gradient norm is {r.GradNorm}; update skipped");
            return new StepOutcome(r.Loss, tokensPerSecond);
        }

        // ---- evaluation: mean loss on the fixed validation windows
        string Evaluate(int s, List<(string Name, double Value)> values) => heldOut.Evaluate(model, s, lastLoss, values);

        string Save(int s, string? _) => TrainingCheckpoint.Save(outDir, model, _tokenizer, optimizer,
            new TrainerState<PretrainConfig, PackedSamplerState>(Kind, s, heldOut.Best, heldOut.BestStep, tokensSeen, cfg, sampler.GetState()));

        var method = new TrainingMethod
        {
            Kind = Kind, Step = Step, Evaluate = heldOut.Any ? Evaluate : null, Save = Save,
            Summary = r => Summary(r, lastLoss, heldOut.Best, heldOut.BestStep, unigram),
        };
        var loop = TrainingLoop.Run(method, cfg.Loop(cfg.MaxSteps), step, state is not null, _log, _progress, cancel, AfterStep);
        return new PretrainResult(loop.Step, loop.Stopped, lastLoss, heldOut.Last, heldOut.Best, heldOut.BestStep, unigram, loop.CheckpointDirectory);
    }

    /// <summary>e.g. <c>; last train loss 2.2 ; best val loss 2.1340 (step 900) vs unigram entropy 6.3100 nats: 4.18 nats below; checkpoint in out/checkpoint</c>.</summary>
    private static string Summary(LoopResult r, double lastLoss, double best, int bestStep, double unigram)
    {
        string loss = double.IsNaN(lastLoss) ? "" : $"; last train loss {lastLoss:F4}";
        string val = double.IsNaN(best)
            ? $"; unigram entropy of the train tokens {unigram:F4} nats"
            : $"; best val loss {best:F4} (step {bestStep}) vs unigram entropy {unigram:F4} nats: "
              + (best < unigram ? $"{unigram - best:F2} nats below" : "not below it");
        return $"{loss}{val}; checkpoint in {r.CheckpointDirectory}";
    }
}
