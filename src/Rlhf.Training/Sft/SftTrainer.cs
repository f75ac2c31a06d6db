using System.Diagnostics;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Data.Progress;

namespace Rlhf.Training.Sft;

/// <summary>
/// Supervised fine-tuning on (prompt, response) pairs, TRL's SFTTrainer with completion-only loss, in the same
/// top-to-bottom shape as <see cref="Pretrain.PretrainTrainer"/>: examples in the chat template
/// (<see cref="SftData"/>), right-padded batches whose targets are −100 except on response tokens and the final
/// end-of-text (<see cref="SftCollator"/>), so the loss is the mean negative log-likelihood of the responses only.
/// <para>
/// Batches come from shuffled epochs (<see cref="SftBatchSampler"/>); examples whose response does not fit
/// <see cref="TrainerConfig.SeqLen"/> are skipped and too-long prompts cut from the left (counts are logged). The
/// held-out loss is the token-weighted mean over the first <see cref="TrainerConfig.EvalBatches"/> batches of the
/// held-out examples in file order. Checkpoints, exact resume (<c>Run(resume: true)</c>), metrics and cancellation work
/// as in pretraining. Not supported: packing several examples per row, multi-turn conversations, gradient accumulation.
/// </para>
/// </summary>
public sealed class SftTrainer
{
    /// <summary>The trainer's name in checkpoints and logs.</summary>
    public const string Kind = "sft";

    private readonly BpeTokenizer _tokenizer;
    private readonly IReadOnlyList<TokenizedSft> _examples;
    private readonly IReadOnlyList<TokenizedSft>? _valExamples;
    private readonly TextWriter _log;
    private readonly IProgressReporter? _progress;

    /// <summary>
    /// A trainer over tokenized <paramref name="examples"/> (<see cref="SftData.Load"/>). With
    /// <paramref name="valExamples"/> those are the held-out set; without, <see cref="TrainerConfig.ValFraction"/> of
    /// the examples are held out.
    /// </summary>
    public SftTrainer(SftConfig config, BpeTokenizer tokenizer, IReadOnlyList<TokenizedSft> examples, IReadOnlyList<TokenizedSft>? valExamples = null,
        TextWriter? log = null, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(examples);
        (Config, _tokenizer, _examples, _valExamples, _log, _progress) = (config, tokenizer, examples, valExamples, log ?? Console.Out, progress);
    }

    /// <summary>The settings as given (the run resolves the model and sequence length from them).</summary>
    public SftConfig Config { get; }

    /// <summary>Test hook, called after each step is logged and checkpointed; throwing from it simulates a crash.</summary>
    internal Action<int>? AfterStep { get; init; }

    /// <summary>The collator the trainer batches with: max length <paramref name="seqLen"/>, the tokenizer's end-of-text and pad ids.</summary>
    public static SftCollator CreateCollator(BpeTokenizer tokenizer, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new SftCollator(seqLen, tokenizer.EndOfTextId, tokenizer.PadId);
    }

    /// <summary>Trains for the configured steps or epochs, fresh or (<paramref name="resume"/>) from the run's checkpoint.</summary>
    public SftResult Run(bool resume = false, CancellationToken cancel = default)
    {
        string outDir = Config.OutDir;

        // ---- model: the run's checkpoint (resume), the pretrained init checkpoint, or a fresh one
        var (model, cfg, state, resumeDir) = TrainingSetup.Start<SftConfig, SftSamplerState>(Config, Kind, resume, _tokenizer);
        int B = cfg.BatchSize, T = cfg.SeqLen!.Value;

        // ---- data: held-out split, collator (loss on response tokens only), shuffled epochs
        if (_examples.Count == 0) throw new TrainingException("no SFT examples to train on");
        var (trainSet, valSet) = _valExamples is null
            ? SftData.SplitHeldOut(_examples, cfg.ValFraction, cfg.Seed)
            : ([.. _examples], [.. _valExamples]);
        var collator = CreateCollator(_tokenizer, T);
        var kept = collator.Fit(trainSet, out var report);
        if (kept.Count == 0) throw new TrainingException($"no training example fits {T} tokens: {report}");
        var sampler = new SftBatchSampler(kept, collator, B, cfg.Seed + 1);
        var evalBatches = new List<SftBatch>();
        if (cfg.EvalBatches > 0)
        {
            var valKept = collator.Fit(valSet, out _);
            for (int i = 0; i < valKept.Count && evalBatches.Count < cfg.EvalBatches; i += B)
                evalBatches.Add(collator.Collate(valKept.GetRange(i, Math.Min(B, valKept.Count - i))));
        }
        int totalSteps = cfg.MaxSteps > 0 ? cfg.MaxSteps : cfg.Epochs * sampler.BatchesPerEpoch;

        // ---- optimizer, schedule, and the state to continue from
        var optimizer = new AdamW(model.Parameters(), cfg.Optimizer());
        var schedule = cfg.Schedule(totalSteps);
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
        _log.WriteLine($"{Kind}: {report}");
        _log.WriteLine($"{Kind}: {kept.Count} training examples ({sampler.BatchesPerEpoch} batches of ≤ {B} per epoch), {valSet.Count} held out"
            + (evalBatches.Count > 0 ? $" (eval on {evalBatches.Sum(b => b.BatchSize)} of them)" : " (no evaluation)"));
        _log.WriteLine($"{Kind}: lr {schedule.MaxLr:G4} → {schedule.MinLr:G4} (warmup {schedule.WarmupSteps}), weight decay {cfg.WeightDecay:G4}, "
            + $"grad clip {cfg.GradClip:G4}, {totalSteps} steps" + (state is null ? "" : $"; resuming after step {step}"));

        // ---- one step: next batch → forward → cross-entropy on the response tokens → backward → clip → AdamW
        StepOutcome Step(int s, List<(string Name, double Value)> values, ITrainingProgress progress)
        {
            var batch = sampler.Next();
            long start = Stopwatch.GetTimestamp();
            var r = TrainStep.Run(model, optimizer, schedule.At(s), batch.Inputs, batch.Targets, batch.BatchSize, batch.SeqLen, cfg.GradClip);
            double tokensPerSecond = batch.RealTokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
            tokensSeen += batch.LossTokens;
            lastLoss = r.Loss;
            values.AddRange([("loss", r.Loss), ("lr", r.LearningRate), ("grad_norm", r.GradNorm), ("tokens_per_s", tokensPerSecond), ("epoch", batch.Epoch)]);
            if (r.Skipped) progress.Log($"{Kind}: step {s + 1}: gradient norm is {r.GradNorm}; update skipped");
            return new StepOutcome(r.Loss, tokensPerSecond);
        }

        // ---- evaluation: token-weighted loss on the held-out batches
        string Evaluate(int s, List<(string Name, double Value)> values) => heldOut.Evaluate(model, s, lastLoss, values);

        string Save(int s, string? _) => TrainingCheckpoint.Save(outDir, model, _tokenizer, optimizer,
            new TrainerState<SftConfig, SftSamplerState>(Kind, s, heldOut.Best, heldOut.BestStep, tokensSeen, cfg, sampler.GetState()));

        var method = new TrainingMethod
        {
            Kind = Kind, Step = Step, Evaluate = heldOut.Any ? Evaluate : null, Save = Save,
            Summary = r => (double.IsNaN(lastLoss) ? "" : $"; last train loss {lastLoss:F4}")
                + (double.IsNaN(heldOut.Best) ? "" : $"; best val loss {heldOut.Best:F4} (step {heldOut.BestStep})") + $"; checkpoint in {r.CheckpointDirectory}",
        };
        var loop = TrainingLoop.Run(method, cfg.Loop(totalSteps), step, state is not null, _log, _progress, cancel, AfterStep);
        return new SftResult(loop.Step, totalSteps, loop.Stopped, lastLoss, heldOut.Last, heldOut.Best, heldOut.BestStep, loop.CheckpointDirectory);
    }
}
