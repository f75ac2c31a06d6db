using System.Diagnostics;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Models.Lora;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Labeling;
using Rlhf.Data.Progress;
using Rlhf.Training.Rl;
using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Dpo;

/// <summary>
/// Direct preference optimisation (Rafailov et al. 2023; TRL's DPOTrainer) in the top-to-bottom shape of
/// <see cref="Sft.SftTrainer"/>: the policy starts from <see cref="TrainerConfig.InitCheckpoint"/> (or a fresh model),
/// the reference π_ref is <see cref="DpoConfig.ReferenceCheckpoint"/> or the same start. Preference records (pairwise
/// or K-wise, <see cref="PreferenceData"/>; a K-wise ranking expands to its C(K,2) pairs, each a training example) are
/// split by prompt into train and held-out sets and encoded once (<see cref="DpoCollator"/>, bad pairs skipped with
/// counts). The reference log-probs of every sequence are computed once and saved with the run
/// (<see cref="ReferenceLogProbCache"/>). Each step takes <see cref="TrainerConfig.BatchSize"/> pairs from a shuffled
/// epoch, runs chosen and rejected responses through the policy in one forward pass, and minimises the mean of the
/// configured <see cref="IPreferenceLoss"/> over the pairs; AdamW, clipping and the warmup + cosine schedule as the
/// other trainers.
/// <para>
/// Metrics per step (<c>metrics.jsonl</c>): <c>loss</c>, implicit rewards <c>rewards_chosen</c> = mean β·(log π(y⁺) −
/// log π_ref(y⁺)) and <c>rewards_rejected</c>, <c>margin</c> = their difference, <c>accuracy</c> = fraction of pairs
/// with chosen reward &gt; rejected (ties ½; margins within β·<see cref="TieLogRatio"/> are ties). Every <see cref="TrainerConfig.EvalInterval"/> steps (and at 0 and the
/// end): the same on the first <see cref="TrainerConfig.EvalBatches"/>·B held-out pairs (<c>eval_*</c>), and on
/// <see cref="DpoConfig.KlPrompts"/> held-out prompts one sample each from the policy (<see cref="RolloutSampler"/>,
/// temperature 1, a generator seeded by the step): <c>kl</c> = mean Σ_t (log π − log π_ref) over the sampled
/// tokens (k1, both teacher-forced in the same batch, so exactly 0 while π = π_ref), <c>response_length</c>, and
/// <c>gold_reward</c> when a <see cref="Gold"/> scorer is set. Checkpoints and exact resume as in SFT.
/// </para>
/// Not supported: gradient accumulation beyond what the context forces, length-normalised (TRL IPO) log-probs,
/// per-pair weights from K-wise rankings (each expanded pair counts 1), a reference that is updated during the run.
/// </summary>
public sealed class DpoTrainer
{
    /// <summary>The trainer's name in checkpoints and logs.</summary>
    public const string Kind = "dpo";

    private readonly BpeTokenizer _tokenizer;
    private readonly PreferenceData _data;
    private readonly TextWriter _log;
    private readonly IProgressReporter? _progress;

    /// <summary>A trainer on <paramref name="data"/>; <see cref="TrainerConfig.ValFraction"/> of its prompts are held out.</summary>
    public DpoTrainer(DpoConfig config, BpeTokenizer tokenizer, PreferenceData data, TextWriter? log = null, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(data);
        (Config, _tokenizer, _data, _log, _progress) = (config, tokenizer, data, log ?? Console.Out, progress);
    }

    /// <summary>The settings as given.</summary>
    public DpoConfig Config { get; }

    /// <summary>Gold scorer of the task (e.g. the lexicon): when set, evaluations log <c>gold_reward</c> of the policy's samples.</summary>
    public IGoldScorer? Gold { get; init; }

    /// <summary>Test hook, called after each step is logged and checkpointed; throwing from it simulates a crash.</summary>
    internal Action<int>? AfterStep { get; init; }

    /// <summary>Trains for the configured steps or epochs, fresh or (<paramref name="resume"/>) from the run's checkpoint.</summary>
    public DpoResult Run(bool resume = false, CancellationToken cancel = default)
    {
        string outDir = Config.OutDir;

        // ---- models: the policy (run checkpoint, init checkpoint or fresh) and the frozen reference
        var (model, cfg, state, resumeDir) = TrainingSetup.Start<DpoConfig, ShuffledOrderState>(Config, Kind, resume, _tokenizer);
        var loss = cfg.CreateLoss();
        int B = cfg.BatchSize, T = cfg.SeqLen!.Value, pad = _tokenizer.PadId;
        ICausalLm? referenceModel = null;
        // fresh LoRA adapters: the reference is the base itself with the adapters off (the policy's start, no second copy)
        ICausalLm Reference() => referenceModel ??= cfg.ReferenceCheckpoint is null && cfg.Lora is not null && LoraAdapters.Find(model) is { } lora
            ? lora.BaseModel() : LoadReference(cfg, _tokenizer);

        // ---- data: split by prompt, K-wise rankings → pairs, encode once (bad pairs skipped and counted)
        var (trainData, heldData) = _data.Split(cfg.ValFraction, cfg.Seed);
        var template = ChatTemplate.For(_tokenizer, cfg.ChatTemplateName);
        var collator = new DpoCollator(template, T);
        var train = collator.EncodeWeighted(trainData.RecordWeightedPairs());
        var held = collator.EncodeWeighted(heldData.RecordWeightedPairs());
        if (train.Pairs.Count == 0) throw new TrainingException($"no usable training pair: {train.Report}");
        var evalPairs = Enumerable.Range(0, Math.Min(held.Pairs.Count, cfg.EvalBatches * B)).ToArray();
        var klPrompts = held.PromptTexts.Select((p, i) => new RlPrompt(p) { Messages = held.PromptMessages[i] }).DistinctBy(p => p.Prompt, StringComparer.Ordinal)
            .Where(p => template.EncodePrompt(p.Prompt, p.Messages).Length <= T - 2).Take(cfg.KlPrompts).ToList();
        bool evaluate = evalPairs.Length > 0 || klPrompts.Count > 0;
        var sampler = new ShuffledOrder(train.Pairs.Count, cfg.Seed + 1);
        int totalSteps = cfg.MaxSteps > 0 ? cfg.MaxSteps : cfg.Epochs * sampler.BatchesPerEpoch(B);

        // ---- reference log-probs: computed once before training and saved with the run; a resume reads them back
        string cachePath = Path.Combine(outDir, ReferenceLogProbCache.FileName);
        ReferenceLogProbCache cache;
        if (state is null)
        {
            Directory.CreateDirectory(outDir);
            using (var p = (_progress ?? NullProgress.Instance).Start("dpo reference log-probs", train.SequenceCount + held.SequenceCount, 0))
            {
                int done = 0;
                cache = ReferenceLogProbCache.Compute(Reference(), train, held, T, pad, n => p.Update(done += n, double.NaN, 0));
            }
            cache.Save(cachePath);
        }
        else if (File.Exists(cachePath)) cache = ReferenceLogProbCache.Load(cachePath, train, held);
        else throw new TrainingException($"{cachePath} is missing: the run's reference log-probs are needed to resume exactly");

        // ---- optimizer, schedule, and the state to continue from
        var optimizer = new AdamW(TrainingSetup.TrainableParameters(model), cfg.Optimizer());
        var schedule = cfg.Schedule(totalSteps);
        int step = 0, bestStep = -1;
        double best = double.NaN, lastLoss = double.NaN;
        long tokensSeen = 0;
        if (state is not null)
        {
            optimizer.LoadState(Path.Combine(resumeDir!, TrainingCheckpoint.OptimizerFile));
            try { sampler.Restore(state.Sampler); }
            catch (ArgumentException e) { throw new TrainingException($"the data differs from the checkpoint's: {e.Message}", e); }
            (step, best, bestStep, tokensSeen) = (state.Step, state.BestValLoss, state.BestValStep, state.TokensSeen);
        }
        _log.WriteLine($"{Kind}: policy {TrainingSetup.Describe(model)}; reference {cfg.ReferenceCheckpoint ?? cfg.InitCheckpoint ?? "the fresh initial model"}");
        _log.WriteLine($"{Kind}: training data: {train.Report}; held-out data: {held.Report}");
        _log.WriteLine($"{Kind}: {train.Pairs.Count} training pairs ({sampler.BatchesPerEpoch(B)} batches of ≤ {B} per epoch), {held.Pairs.Count} held out"
            + (evaluate ? $" (eval on {evalPairs.Length} pairs and {klPrompts.Count} prompts for KL)" : " (no evaluation)"));
        _log.WriteLine($"{Kind}: loss {loss.Name}, β {loss.Beta:G4}, lr {schedule.MaxLr:G4} → {schedule.MinLr:G4} (warmup {schedule.WarmupSteps}), "
            + $"grad clip {cfg.GradClip:G4}, {totalSteps} steps" + (state is null ? "" : $"; resuming after step {step}"));

        Dictionary<string, double>? lastEval = null;

        // ---- one step: B pairs → chosen + rejected through the policy → preference loss → backward → clip → AdamW
        StepOutcome Step(int s, List<(string Name, double Value)> values, ITrainingProgress progress)
        {
            var pairs = sampler.NextBatch(B).ToArray();
            int epoch = sampler.Epoch;
            float lr = schedule.At(s);
            long start = Stopwatch.GetTimestamp();
            // 1. forward chosen + rejected, loss = mean over the step's pairs (several batches only when the context forces it)
            var stats = new PairStats();
            int tokens = 0;
            foreach (var batch in collator.Collate(train, pairs, cache.Train))
            {
                var r = Forward(model, batch, loss);
                Ops.Scale(r.LossSum, 1f / pairs.Length).Backward();
                stats.Add(r);
                tokens += batch.RealTokens;
            }
            // 2. clip, AdamW step
            var (norm, finite) = OptimizerStep.ClipAndUpdate(optimizer, lr, cfg.GradClip);
            double tokensPerSecond = tokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
            step = s + 1;
            tokensSeen += tokens;
            var (l, rc, rr, margin, accuracy) = stats.Means();
            lastLoss = l;
            values.AddRange([("loss", l), ("rewards_chosen", rc), ("rewards_rejected", rr), ("margin", margin), ("accuracy", accuracy),
                ("lr", lr), ("grad_norm", norm), ("tokens_per_s", tokensPerSecond), ("epoch", epoch)]);
            if (!finite) progress.Log($"{Kind}: step {step}: gradient norm is {norm}; update skipped");
            return new StepOutcome(l, tokensPerSecond);
        }

        // ---- evaluation: the same figures on held-out pairs, and KL / length / gold of samples on held-out prompts
        string Evaluate(int s, List<(string Name, double Value)> values)
        {
            var e = new Dictionary<string, double>();
            if (evalPairs.Length > 0)
            {
                var stats = new PairStats();
                using (Tensor.NoGrad())
                    for (int i = 0; i < evalPairs.Length; i += B)
                        foreach (var batch in collator.Collate(held, evalPairs[i..Math.Min(i + B, evalPairs.Length)], cache.HeldOut))
                            stats.Add(Forward(model, batch, loss));
                (e["eval_loss"], e["eval_rewards_chosen"], e["eval_rewards_rejected"], e["eval_margin"], e["eval_accuracy"]) = stats.Means();
                if (!(e["eval_loss"] >= best)) (best, bestStep) = (e["eval_loss"], s);
            }
            if (klPrompts.Count > 0) foreach (var (k, v) in SampleStats(model, Reference(), template, klPrompts, cfg, s, Gold)) e[k] = v;
            lastEval = e;
            foreach (var (k, v) in e) values.Add((k, v));
            return s == 0 ? $"{Kind}: step 0: {Describe(e)}" : $"{Kind}: step {s}: train loss {lastLoss:F4}, {Describe(e)}";
        }

        string Save(int s, string? _) => TrainingCheckpoint.Save(outDir, model, _tokenizer, optimizer,
            new TrainerState<DpoConfig, ShuffledOrderState>(Kind, s, best, bestStep, tokensSeen, cfg, sampler.GetState()));

        var method = new TrainingMethod
        {
            Kind = Kind, Step = Step, Evaluate = evaluate ? Evaluate : null, Save = Save,
            Summary = r => (double.IsNaN(lastLoss) ? "" : $"; last train loss {lastLoss:F4}")
                + (lastEval is null ? "" : $"; {Describe(lastEval)}") + $"; checkpoint in {r.CheckpointDirectory}",
        };
        var loop = TrainingLoop.Run(method, cfg.Loop(totalSteps), step, state is not null, _log, _progress, cancel, AfterStep);
        return new DpoResult(loop.Step, totalSteps, loop.Stopped, lastLoss, lastEval, train.Report, loop.CheckpointDirectory);
    }

    /// <summary>The reference model: <see cref="DpoConfig.ReferenceCheckpoint"/>, else the init checkpoint, else the fresh model of <see cref="TrainerConfig.Model"/> and seed (the policy's own start).</summary>
    public static ICausalLm LoadReference(DpoConfig config, BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        string? path = config.ReferenceCheckpoint ?? config.Adapter ?? config.InitCheckpoint; // --adapter: base + adapter merged, the policy's start
        var reference = path is not null ? CausalLmCheckpoint.Load(TrainingCheckpoint.ResolveModelDirectory(path))
            : new Gpt(config.Model ?? throw new TrainingException("no reference model: give a reference or init checkpoint"), config.Seed);
        TrainingSetup.CheckModel(reference, tokenizer, config.SeqLen ?? reference.MaxPositions);
        if (config.FrozenDtype == Dtype.BF16) reference.FreezeTo(Dtype.BF16);
        return reference;
    }

    /// <summary>
    /// The policy side of one batch: sequence log-likelihoods log π(y|x) = Σ_t log π(y_t|x, y_&lt;t) over the response
    /// mask (2n), h = (log π(y⁺) − log π_ref(y⁺)) − (log π(y⁻) − log π_ref(y⁻)) (n), the summed per-pair loss (scalar,
    /// with gradient unless under NoGrad), and per-pair implicit rewards β·(log π − log π_ref) for the metrics.
    /// </summary>
    public static BatchResult Forward(ICausalLm model, DpoBatch batch, IPreferenceLoss loss)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(loss);
        int n = batch.Pairs, L = batch.Sequences.ResponseLength;
        var logProbs = PolicyForward.Run(model, batch.Sequences).LogProbs;                                   // (2n, L)
        var seq = Ops.MaskedSum(logProbs, Tensor.FromArray(batch.Sequences.ResponseMask, 2 * n, L), 1);      // (2n)
        var refMargin = new float[n];
        for (int i = 0; i < n; i++) refMargin[i] = (float)(batch.ReferenceChosen[i] - batch.ReferenceRejected[i]);
        var h = Ops.Slice(seq, 0, 0, n) - Ops.Slice(seq, 0, n, n) - Tensor.FromArray(refMargin, n);         // (n)
        var perPair = loss.Compute(h);                                                                        // (n)
        if (batch.Weights is { } w) perPair = perPair * Tensor.FromArray(w, n);                              // labeler weights (n)
        var s = seq.ToArray();
        var p = perPair.ToArray();
        var rewardsChosen = new double[n];
        var rewardsRejected = new double[n];
        for (int i = 0; i < n; i++)
        {
            rewardsChosen[i] = loss.Beta * (s[i] - batch.ReferenceChosen[i]);
            rewardsRejected[i] = loss.Beta * (s[n + i] - batch.ReferenceRejected[i]);
        }
        return new BatchResult(Ops.Sum(perPair), Array.ConvertAll(p, x => (double)x), rewardsChosen, rewardsRejected, loss.Beta * TieLogRatio);
    }

    /// <summary>
    /// Log-ratio margins |h| up to this many nats count as ties in the accuracy: float sums of ~100 token log-probs
    /// computed in differently padded batches differ by ~1e-5, so a policy equal to its reference would otherwise
    /// score a random-looking accuracy instead of ½.
    /// </summary>
    public const double TieLogRatio = 1e-4;

    /// <summary>One batch's loss (sum over pairs, the autograd root), per-pair values, and the implicit-reward margin counted as a tie.</summary>
    public sealed record BatchResult(Tensor LossSum, double[] Losses, double[] RewardsChosen, double[] RewardsRejected, double TieTolerance);

    /// <summary>
    /// Samples one response per prompt from <paramref name="policy"/> (temperature 1, generator seeded by
    /// <paramref name="step"/> so a resumed run draws the same) and measures <c>kl</c> = mean over samples of
    /// Σ_t (log π − log π_ref) (k1 per token, teacher-forced in one batch for both models), <c>response_length</c>
    /// and, with <paramref name="gold"/>, <c>gold_reward</c>.
    /// </summary>
    public static Dictionary<string, double> SampleStats(ICausalLm policy, ICausalLm reference, ChatTemplate template, IReadOnlyList<RlPrompt> prompts,
        DpoConfig config, int step, IGoldScorer? gold)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(config);
        int context = Math.Min(policy.MaxPositions, config.SeqLen ?? policy.MaxPositions);
        int longest = prompts.Max(p => template.EncodePrompt(p.Prompt, p.Messages).Length);
        var generation = new GenerationConfig(MaxNewTokens: Math.Max(1, Math.Min(config.KlMaxNewTokens, context - longest)));
        var rng = new Rng(config.Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(step + 1)));
        var samples = RolloutSampler.Sample(policy, template, prompts, 1, generation, rng);
        var batch = SequenceBatch.Build(samples, template.Tokenizer.PadId);
        var logP = PolicyForward.LogProbs(policy, batch);
        var logRef = PolicyForward.LogProbs(reference, batch);
        double kl = 0, length = 0, goldSum = 0;
        int L = batch.ResponseLength;
        for (int b = 0; b < samples.Count; b++)
        {
            for (int j = 0; j < batch.ResponseLengths[b]; j++) kl += KlEstimator.K1(logP[b * L + j], logRef[b * L + j]);
            length += batch.ResponseLengths[b];
            if (gold is not null) goldSum += gold.Score(samples[b].Prompt.Prompt, samples[b].CompletionText);
        }
        var result = new Dictionary<string, double> { [RlMetricNames.Kl] = kl / samples.Count, [RlMetricNames.ResponseLength] = length / samples.Count };
        if (gold is not null) result[RlMetricNames.GoldReward] = goldSum / samples.Count;
        return result;
    }

    private static string Describe(IReadOnlyDictionary<string, double> e) => string.Join(", ", e.Select(kv => $"{kv.Key} {kv.Value:G4}"));

    /// <summary>Running sums of per-pair values for the logged means.</summary>
    private sealed class PairStats
    {
        private double _loss, _chosen, _rejected, _correct;
        private int _n;

        public void Add(BatchResult r)
        {
            for (int i = 0; i < r.Losses.Length; i++)
            {
                _loss += r.Losses[i];
                _chosen += r.RewardsChosen[i];
                _rejected += r.RewardsRejected[i];
                double margin = r.RewardsChosen[i] - r.RewardsRejected[i];
                _correct += margin > r.TieTolerance ? 1 : margin < -r.TieTolerance ? 0 : 0.5;
            }
            _n += r.Losses.Length;
        }

        /// <summary>Mean loss, implicit chosen and rejected rewards, margin, accuracy.</summary>
        public (double Loss, double Chosen, double Rejected, double Margin, double Accuracy) Means() =>
            (_loss / _n, _chosen / _n, _rejected / _n, (_chosen - _rejected) / _n, _correct / _n);
    }
}
