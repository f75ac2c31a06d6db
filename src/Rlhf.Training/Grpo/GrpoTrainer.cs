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
using Rlhf.Training.Distributed;
using Rlhf.Data.Progress;
using Rlhf.Training.Rl;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Grpo;

/// <summary>
/// Group Relative Policy Optimization (Shao et al. 2024, DeepSeekMath) and RLOO (Ahmadian et al. 2024) against a
/// verifiable reward. One iteration, top to bottom:
/// <list type="number">
/// <item>take the next <see cref="TrainerConfig.BatchSize"/> prompts (shuffled epochs);</item>
/// <item>sample G responses to each with <see cref="RolloutSampler"/> — the same rollout path as PPO;</item>
/// <item>score them with the reward function; a sample whose reward is not finite, or a batch whose reward function
/// throws, is skipped and logged, never fatal;</item>
/// <item>advantages from each prompt's group (<see cref="IAdvantageEstimator"/>), the same for all of a response's tokens;</item>
/// <item>μ = <see cref="GrpoConfig.UpdateEpochs"/> optimizer steps on the clipped token-level loss
/// (<see cref="GrpoLoss"/>), optionally with β·k3 to the reference (the initial policy); π_old is the sampling policy,
/// recomputed teacher-forced in the first pass;</item>
/// <item>every <see cref="TrainerConfig.EvalInterval"/> iterations, greedy held-out exact-match accuracy.</item>
/// </list>
/// Metrics per iteration go to <c>metrics.jsonl</c> (<see cref="RlMetricNames"/> keys); checkpoints hold weights,
/// optimizer, prompt order, rollout generator, so <c>Run(resume: true)</c> continues bit-identically.
/// </summary>
public sealed class GrpoTrainer
{
    /// <summary>The trainer's name in checkpoints and logs.</summary>
    public const string Kind = "grpo";

    private readonly BpeTokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly IReadOnlyList<RlPrompt> _prompts;
    private readonly IReadOnlyList<RlPrompt> _evalPrompts;
    private readonly IRewardFunction _reward;
    private readonly IRewardFunction _accuracy;
    private readonly TextWriter _log;
    private readonly IProgressReporter? _progress;

    /// <summary>
    /// A trainer on <paramref name="prompts"/> with <paramref name="reward"/>; held-out accuracy on
    /// <paramref name="evalPrompts"/> (none: no evaluation) is the fraction of greedy responses that
    /// <paramref name="accuracy"/> (default: the reward) scores ≥ 0.5.
    /// </summary>
    public GrpoTrainer(GrpoConfig config, BpeTokenizer tokenizer, IReadOnlyList<RlPrompt> prompts, IReadOnlyList<RlPrompt>? evalPrompts,
        IRewardFunction reward, IRewardFunction? accuracy = null, TextWriter? log = null, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(reward);
        (Config, _tokenizer, _template, _prompts, _evalPrompts) = (config, tokenizer, ChatTemplate.For(tokenizer, config.ChatTemplateName), prompts, evalPrompts ?? []);
        (_reward, _accuracy, _log, _progress) = (reward, accuracy ?? reward, log ?? Console.Out, progress);
    }

    /// <summary>The settings as given.</summary>
    public GrpoConfig Config { get; }

    /// <summary>Test hook, called after each iteration is logged and checkpointed; throwing from it simulates a crash.</summary>
    internal Action<int>? AfterIteration { get; init; }

    /// <summary>Greedy (temperature 0) held-out exact-match accuracy of <paramref name="policy"/>: the fraction of responses <paramref name="checker"/> scores ≥ 0.5.</summary>
    public static double Accuracy(ICausalLm policy, ChatTemplate template, IReadOnlyList<RlPrompt> prompts, IRewardFunction checker, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(checker);
        if (prompts.Count == 0) return double.NaN;
        var samples = RolloutSampler.Sample(policy, template, prompts, 1, new GenerationConfig(maxNewTokens, Temperature: 0f), new Rng(0));
        var scores = RewardScoring.ScoreOrSkip(checker, samples, out _);
        return scores.Count(s => s.Reward >= 0.5f) / (double)samples.Count;
    }

    /// <summary>Runs the configured iterations, fresh or (<paramref name="resume"/>) from the run's checkpoint.</summary>
    public GrpoResult Run(bool resume = false, CancellationToken cancel = default)
    {
        string outDir = Config.OutDir;

        // ---- policy (checkpoint, init or fresh) and the frozen reference = the initial policy
        var (policy, cfg, state, resumeDir) = TrainingSetup.Start<GrpoConfig, GrpoState>(Config, Kind, resume, _tokenizer);
        // the frozen reference: for fresh LoRA adapters the base itself with the adapters off (no second copy of the
        // weights); else the init checkpoint, or base + the --adapter merged (the policy's start)
        var reference = cfg.Lora is not null && LoraAdapters.Find(policy) is { } adapters ? adapters.BaseModel()
            : (cfg.Adapter ?? cfg.InitCheckpoint) is { } init ? CausalLmCheckpoint.Load(TrainingCheckpoint.ResolveModelDirectory(init))
            : new Gpt(cfg.Model!, cfg.Seed);
        if (cfg.FrozenDtype == Dtype.BF16) reference.FreezeTo(Dtype.BF16); // a LoRA base view stays float32 (shared with the policy)
        if (_prompts.Count == 0) throw new TrainingException("no prompts to train on");
        int longest = _prompts.Concat(_evalPrompts).Max(p => _template.EncodePrompt(p.Prompt, p.Messages).Length);
        if (longest + cfg.MaxNewTokens > policy.MaxPositions)
            throw new TrainingException($"the longest prompt ({longest} tokens) + max new tokens ({cfg.MaxNewTokens}) exceed the model context ({policy.MaxPositions})");

        // ---- optimizer, schedule, data order, rollout generator, and the state to continue from
        var optimizer = new AdamW(TrainingSetup.TrainableParameters(policy), cfg.Optimizer());
        var schedule = cfg.Schedule(cfg.MaxSteps);
        var order = new ShuffledOrder(_prompts.Count, cfg.Seed + 1);
        var rng = new Rng(cfg.Seed + 2);
        var estimator = cfg.Estimator();
        var generation = cfg.Generation();
        float epsLow = cfg.ClipEpsilon, epsHigh = cfg.ClipEpsilonHigh ?? cfg.ClipEpsilon;
        int iteration = 0, bestIteration = -1;
        double best = double.NaN, lastAccuracy = double.NaN, initialAccuracy = double.NaN, lastReward = double.NaN;
        long tokensSeen = 0;
        if (state is not null)
        {
            optimizer.LoadState(Path.Combine(resumeDir!, TrainingCheckpoint.OptimizerFile));
            try { order.Restore(state.Sampler.Prompts); }
            catch (ArgumentException e) { throw new TrainingException($"the prompts differ from the checkpoint's: {e.Message}", e); }
            rng.SetState(state.Sampler.Rollouts);
            (iteration, best, bestIteration, tokensSeen) = (state.Step, state.Sampler.BestAccuracy, state.Sampler.BestIteration, state.TokensSeen);
        }
        bool evaluate = cfg.EvalBatches > 0 && _evalPrompts.Count > 0;
        _log.WriteLine($"{Kind}: policy {TrainingSetup.Describe(policy)}");
        _log.WriteLine($"{Kind}: {_prompts.Count} prompts, {cfg.BatchSize} × G={cfg.Group} samples per iteration, reward {_reward.Name}, advantage {estimator.Name}{(cfg.KlInReward ? " (KL in the reward)" : "")}, loss {cfg.Aggregation().Name}, "
            + $"clip [{1 - epsLow:G3}, {1 + epsHigh:G3}], β {cfg.Beta:G3}, μ {cfg.UpdateEpochs}, T {cfg.Temperature:G3}, ≤ {cfg.MaxNewTokens} new tokens");
        _log.WriteLine($"{Kind}: lr {schedule.MaxLr:G4} → {schedule.MinLr:G4}, {cfg.MaxSteps} iterations"
            + (evaluate ? $", held-out accuracy on {_evalPrompts.Count} prompts every {cfg.EvalInterval}" : ", no evaluation")
            + (state is null ? "" : $"; resuming after iteration {iteration}"));

        // ---- one iteration: prompts → G rollouts each → rewards → group advantages → μ clipped policy-gradient steps
        RewardOutcome[] outcomes = [];
        var dropWatch = new DroppedIterationWatch(Kind);
        var aggregation = cfg.Aggregation();
        StepOutcome Step(int it, List<(string Name, double Value)> values, ITrainingProgress progress)
        {
            long start = Stopwatch.GetTimestamp();

            // 1. prompts, 2. G rollouts each (prompt-major, Group = index in this batch), 3. rewards; under mpiexec each
            //    rank samples and scores its shard of the prompts and receives everyone's (RolloutShards)
            var batchPrompts = order.Next(cfg.BatchSize).Select(i => _prompts[i]).ToList();
            var rollouts = RolloutShards.SampleAndScore(batchPrompts, cfg.Group, rng,
                shard => RolloutSampler.Sample(policy, _template, shard, cfg.Group, generation, rng),
                local => (MissingEosPenalty.Apply(local, RewardScoring.ScoreOrSkip(_reward, local, out string? f), cfg.MissingEosPenalty), f));
            var samples = rollouts.Samples;
            string? failure = rollouts.Failure;
            outcomes = rollouts.Outcomes;
            // unusable samples are dropped here, with the reason logged
            if (failure is not null) progress.Log($"{Kind}: iteration {it + 1}: {failure}; its samples are skipped");
            var keep = new List<int>();
            for (int i = 0; i < samples.Count; i++)
            {
                if (float.IsFinite(outcomes[i].Reward)) keep.Add(i);
                else if (failure is null && i - keep.Count <= 3) // the first few per iteration
                    progress.Log($"{Kind}: iteration {it + 1}: sample {i} skipped: reward {outcomes[i].Reward}{(outcomes[i].Note is { } n ? $" ({n})" : "")}");
            }
            dropWatch.Observe(it + 1, keep.Count, samples.Count, failure ?? outcomes.Select(o => o.Note).FirstOrDefault(n => n is not null));
            iteration = it + 1;
            if (keep.Count > 0)
            {
                var kept = keep.Select(i => samples[i]).ToList();
                var rewards = keep.Select(i => (double)outcomes[i].Reward).ToList();
                var groups = kept.Select(s => s.Group).ToList();

                var batch = SequenceBatch.Build(kept, _tokenizer.EndOfTextId);
                int B = batch.Batch, L = batch.ResponseLength;
                int batchTokens = Math.Max(1, batch.ResponseLengths.Sum());
                // under mpiexec each rank runs its rows of the batch (RolloutShards: all ranks hold the whole batch)
                var (mine, rows) = DataParallel.ShardOf(B);
                var refLogProbs = !DataParallel.IsDistributed ? PolicyForward.LogProbs(reference, batch, cfg.Temperature) : new float[B * L];
                if (DataParallel.IsDistributed)
                {
                    if (rows > 0) PolicyForward.LogProbs(reference, batch.Rows(mine, rows), cfg.Temperature).CopyTo(refLogProbs, mine * L);
                    DataParallel.World.AllReduceSum(refLogProbs); // each row filled by one rank
                }

                // 4. group-relative advantages, one per response (RLOO with β > 0: of r − β·KL_seq, and no KL term
                //    in the loss). When every group is flat (all advantages 0) and there is no KL term the gradient
                //    is exactly 0: no optimizer step then, since Adam's momentum would keep moving the weights without any signal
                var shaped = cfg.KlInReward ? SequenceKlReward.Subtract(rewards, kept, refLogProbs, L, cfg.Beta) : (IReadOnlyList<double>)rewards;
                var advantages = estimator.Compute(shaped, groups).Select(a => (float)a).ToArray();
                float lossBeta = cfg.KlInReward ? 0f : cfg.Beta;
                bool signal = lossBeta > 0 || advantages.Any(a => a != 0);

                // 5. μ clipped policy-gradient steps over all kept samples (chunks only bound memory), the per-token
                //    losses averaged as cfg.LossAggregation says (weights over the whole batch, so chunks add up)
                var weights = aggregation.Weights(batch.ResponseLengths, L, groups);
                var oldLogProbs = new float[B * L];
                double loss = 0, gradNorm = 0, klSum = 0;
                int clipped = 0, counted = 0;
                float lr = schedule.At(it);
                int epochs = signal ? cfg.UpdateEpochs : 1;
                // under mpiexec: the weights are the global batch's, so the per-rank gradients of its rows are parts of
                // one sum (share 1 each), and so are the loss and counts below
                if (DataParallel.IsDistributed) DataParallel.LocalShare = 1;
                for (int epoch = 0; epoch < epochs; epoch++)
                {
                    for (int r0 = mine; r0 < mine + rows; r0 += cfg.MiniBatchSize)
                    {
                        int n = Math.Min(cfg.MiniBatchSize, mine + rows - r0);
                        var chunk = batch.Rows(r0, n);
                        var logProbs = PolicyForward.Run(policy, chunk, cfg.Temperature).LogProbs;   // (n, L)
                        if (epoch == 0) logProbs.ToArray().CopyTo(oldLogProbs, r0 * L);              // π_old = the sampling policy, exactly
                        var (chunkLoss, stats) = GrpoLoss.Compute(logProbs, oldLogProbs[(r0 * L)..((r0 + n) * L)], refLogProbs[(r0 * L)..((r0 + n) * L)],
                            advantages[r0..(r0 + n)], chunk.ResponseMask, weights.Rows(r0, n, L), weights.Scale, epsLow, epsHigh, lossBeta);
                        chunkLoss.Backward();
                        if (epoch == epochs - 1) { loss += chunkLoss.Item(); clipped += stats.ClippedTokens; counted += stats.Tokens; }
                        if (epoch == 0) klSum += stats.KlSum;
                    }
                    if (epoch == 0 && DataParallel.IsDistributed) DataParallel.World.AllReduceSum(oldLogProbs); // each row filled by one rank
                    (gradNorm, bool finite) = OptimizerStep.ClipAndUpdate(optimizer, lr, cfg.GradClip, update: signal);
                    if (signal && !finite) progress.Log($"{Kind}: iteration {iteration}: gradient norm is {gradNorm}; update skipped");
                }
                if (DataParallel.IsDistributed)
                {
                    Span<double> sums = [loss, clipped, counted, klSum];
                    DataParallel.World.AllReduceSum(sums);
                    (loss, clipped, counted, klSum) = (sums[0], (int)sums[1], (int)sums[2], sums[3]);
                }

                // 6. metrics of this iteration's samples
                double klSeq = 0; // k1 summed over each response (sampling-policy log-probs vs reference), averaged
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < batch.ResponseLengths[b]; j++) klSeq += oldLogProbs[b * L + j] - refLogProbs[b * L + j];
                var (length, repetition) = ResponseStats.Summarize(kept);
                lastReward = rewards.Average();
                int flatGroups = groups.Distinct().Count(g => rewards.Where((_, i) => groups[i] == g).Distinct().Count() == 1);
                tokensSeen += batchTokens;
                values.AddRange([("reward", lastReward), ("reward_std", Std(rewards)), ("loss", loss), (RlMetricNames.Kl, klSeq / B),
                    ("k3", klSum / batchTokens), (RlMetricNames.ResponseLength, length), (RlMetricNames.RepetitionRate, repetition),
                    ("clip_fraction", counted == 0 ? 0 : (double)clipped / counted), ("flat_groups", (double)flatGroups / groups.Distinct().Count()),
                    ("grad_norm", gradNorm), ("lr", lr), ("updated", signal ? 1 : 0)]);
                if (_reward is AnswerChecker checker) // how many responses have a parsable answer at all
                    values.Add((RlMetricNames.FormatRate, kept.Count(s => checker.Extract(s.CompletionText, out _) is not null) / (double)kept.Count));
            }
            values.Add(("skipped", samples.Count - keep.Count));
            values.Add((MissingEosPenalty.MetricName, MissingEosPenalty.TruncatedFraction(samples)));
            double tokensPerSecond = samples.Skip(rollouts.LocalStart).Take(rollouts.LocalCount).Sum(s => s.CompletionIds.Length)
                / Stopwatch.GetElapsedTime(start).TotalSeconds; // this rank's (the loop sums the ranks')
            values.Add(("tokens_per_s", tokensPerSecond));
            return new StepOutcome(double.IsNaN(lastReward) ? 0 : lastReward, tokensPerSecond);
        }

        // ---- evaluation: greedy held-out accuracy
        string Evaluate(int it, List<(string Name, double Value)> values)
        {
            lastAccuracy = Accuracy(policy, _template, _evalPrompts, _accuracy, cfg.MaxNewTokens);
            if (!(lastAccuracy <= best)) (best, bestIteration) = (lastAccuracy, it);
            if (it == 0) initialAccuracy = lastAccuracy;
            values.Add((RlMetricNames.Accuracy, lastAccuracy));
            return it == 0 ? $"{Kind}: iteration 0: held-out accuracy {lastAccuracy:P1}"
                : $"{Kind}: iteration {it}: reward {lastReward:F3}, held-out accuracy {lastAccuracy:P1}{(bestIteration == it ? " (best)" : "")}"
                    + (MostCommonNote(outcomes) is { } note ? $"; most common note: {note}" : "");
        }

        string Save(int it, string? _) => TrainingCheckpoint.Save(outDir, policy, _tokenizer, optimizer,
            new TrainerState<GrpoConfig, GrpoState>(Kind, it, double.NaN, -1, tokensSeen, cfg, new GrpoState(order.GetState(), rng.GetState(), best, bestIteration)));

        var method = new TrainingMethod
        {
            Kind = Kind, StepName = "iteration", Step = Step, Evaluate = evaluate ? Evaluate : null, Save = Save,
            Summary = r => (double.IsNaN(best) ? "" : $"; held-out accuracy {(double.IsNaN(initialAccuracy) ? "" : $"{initialAccuracy:P1} → ")}{lastAccuracy:P1} (best {best:P1} at iteration {bestIteration})")
                + $"; checkpoint in {r.CheckpointDirectory}",
        };
        var loop = TrainingLoop.Run(method, cfg.Loop(cfg.MaxSteps), iteration, state is not null, _log, _progress, cancel, AfterIteration);
        return new GrpoResult(loop.Step, cfg.MaxSteps, loop.Stopped, lastReward, initialAccuracy, lastAccuracy, best, bestIteration, loop.CheckpointDirectory);
    }

    private static string? MostCommonNote(IEnumerable<RewardOutcome> outcomes) =>
        outcomes.Where(o => o.Note is not null).GroupBy(o => o.Note!.StartsWith("answer '", StringComparison.Ordinal) ? "wrong answer" : o.Note!)
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Key} (×{g.Count()})").FirstOrDefault();

    private static double Std(IReadOnlyList<double> xs)
    {
        double mean = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / xs.Count);
    }
}
