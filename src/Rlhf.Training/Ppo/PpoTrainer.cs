using System.Diagnostics;
using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Distributed;
using Rlhf.Data.Progress;
using Rlhf.Training.Guard;
using Rlhf.Training.Rl;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Ppo;

/// <summary>
/// RLHF with PPO against a reward function (Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences";
/// Ouyang et al. 2022, InstructGPT; Schulman et al. 2017, PPO). Each iteration:
/// <list type="number">
/// <item>rollout: one response per prompt from the policy (KV cache, <see cref="RolloutSampler"/>), keeping log π_old per token;</item>
/// <item>score each response once, at its end, with the reward function (RM, ensemble, gold, …);</item>
/// <item>per-token KL to the frozen reference (k1; k3 logged) → rewards r_t = −β·k1_t (+ clipped score at the last token), <see cref="TokenRewards"/>;</item>
/// <item>values V_old(s_t) from the critic (<see cref="Critic"/>);</item>
/// <item>GAE(γ, λ) advantages and returns, advantages whitened (<see cref="Gae"/>);</item>
/// <item>epochs of shuffled minibatch updates: clipped surrogate + clipped value loss (+ entropy bonus) (<see cref="PpoEpochs"/>);</item>
/// <item>optionally PPO-ptx: pretraining log-likelihood mixed into each minibatch's loss.</item>
/// </list>
/// Then the KL controller updates β (<see cref="IKlController"/>), metrics go to <c>metrics.jsonl</c> (step = iteration;
/// <see cref="RlMetricNames"/> keys (gold and held-out rewards when configured) plus <c>kl_k3</c>, <c>kl_coef</c>, <c>policy_loss</c>, <c>value_loss</c>,
/// <c>clip_frac</c>, <c>value_clip_frac</c>, <c>approx_kl</c>, <c>grad_norm</c>, <c>ptx_loss</c>, <c>skipped_samples</c>,
/// <c>skipped_updates</c>, <c>time_generate_s</c>, <c>time_score_s</c> (steps 2–5, of which <c>time_reward_s</c> is step 2), <c>time_update_s</c>, <c>tokens_per_s</c>,
/// <c>is_best</c>, <c>guard_stop</c>), the optional <see cref="IRunGuard"/> sees them (keeps <c>best/</c>, may crop the
/// run), a sample table goes to <c>samples.jsonl</c> every few iterations, and checkpoints resume bit for bit.
/// Samples whose reward or log-probs are not finite are dropped from the iteration (counted); a reward function that
/// fails gives the whole batch NaN (<see cref="RewardScoring"/>, the same policy as GRPO), so its samples are dropped and the run goes on.
/// Under <c>mpiexec</c>: rollouts sampled and scored by prompt shard (<see cref="RolloutShards"/>, one-process seeds),
/// steps 3–5 replicated on every rank over the whole batch, the minibatches split by rows (<see cref="PpoEpochs"/>);
/// rank 0 writes (docs/scaling.md).
/// </summary>
public sealed class PpoTrainer
{
    /// <summary>The trainer's name in checkpoints and logs.</summary>
    public const string Kind = "ppo";

    private readonly BpeTokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly ICausalLm _policy, _reference;
    private readonly IRewardFunction _reward;
    private readonly IReadOnlyList<RlPrompt> _prompts;
    private readonly TextWriter _log;
    private readonly IProgressReporter? _progress;

    /// <summary>
    /// A trainer of <paramref name="policy"/> (updated in place; on resume its weights are replaced by the checkpoint's)
    /// against <paramref name="reward"/>, leashed to the frozen <paramref name="reference"/> (a separate copy, usually the SFT model).
    /// </summary>
    public PpoTrainer(PpoConfig config, BpeTokenizer tokenizer, ICausalLm policy, ICausalLm reference, IRewardFunction reward, IReadOnlyList<RlPrompt> prompts,
        TextWriter? log = null, IProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentNullException.ThrowIfNull(prompts);
        if (ReferenceEquals(policy, reference)) throw new ArgumentException("PpoTrainer: the reference must be a separate (frozen) copy of the policy");
        (Config, _tokenizer, _policy, _reference, _reward, _prompts, _log, _progress) = (config, tokenizer, policy, reference, reward, prompts, log ?? Console.Out, progress);
        _template = ChatTemplate.For(tokenizer, config.ChatTemplateName);
    }

    /// <summary>The settings.</summary>
    public PpoConfig Config { get; }

    /// <summary>A gold scorer measured on the same samples (never trained against): <c>gold_reward</c>.</summary>
    public IRewardFunction? Gold { get; init; }

    /// <summary>A held-out reward model (trained on other data, never optimised against) measured on the same samples: <c>heldout_reward</c>.</summary>
    public IRewardFunction? HeldOut { get; init; }

    /// <summary>The reward-hacking guard: sees each iteration's metrics, keeps <c>best/</c>, may stop the run.</summary>
    public IRunGuard? Guard { get; init; }

    /// <summary>Trunk a separate critic starts from (e.g. the reward model's); null: a copy of the policy.</summary>
    public ICausalLm? CriticInit { get; init; }

    /// <summary>Tokenised pretraining text for PPO-ptx (null: off).</summary>
    public int[]? PtxTokens { get; init; }

    /// <summary>Test hook, called after each iteration is logged and checkpointed; throwing from it simulates a crash.</summary>
    internal Action<int>? AfterIteration { get; init; }

    /// <summary>Runs the configured iterations, fresh or (<paramref name="resume"/>) from the run's checkpoint.</summary>
    public PpoResult Run(bool resume = false, CancellationToken cancel = default)
    {
        var cfg = Config;
        cfg.Validate();
        string outDir = cfg.OutDir;

        // ---- the run's state: fresh, or from its checkpoint (settings must not have changed)
        PpoState? state = null;
        string? resumeDir = null;
        if (resume)
        {
            (resumeDir, state) = PpoCheckpoint.ReadState(outDir);
            TrainerConfig.CheckResumable(state.Config, cfg);
        }
        else TrainingSetup.CheckFresh(outDir);
        CheckInputs(cfg);

        // ---- models, optimizers, KL controller, generators
        var critic = cfg.SharedCritic ? Critic.SharedWith(_policy, cfg.Seed + 7) : Critic.Separate(CriticInit ?? _policy, cfg.Seed + 7);
        _policy.GradientCheckpointing = critic.Trunk.GradientCheckpointing = cfg.GradientCheckpointing;
        if (cfg.FrozenDtype == Dtype.BF16) FrozenRewards.Freeze(Dtype.BF16, [_reference], [_reward, HeldOut]); // after the critic copied its trunk
        var trainable = TrainingSetup.TrainableParameters(_policy); // LoRA: the adapters only
        var policyOptimizer = new AdamW(cfg.SharedCritic ? [.. trainable, .. critic.Head.Parameters()] : trainable,
            new AdamWConfig(cfg.LearningRate, WeightDecay: cfg.WeightDecay));
        var criticOptimizer = cfg.SharedCritic ? null : new AdamW(critic.TrainableParameters(), new AdamWConfig(cfg.CriticLr, WeightDecay: cfg.WeightDecay));
        IKlController kl = cfg.KlTarget is float target ? new AdaptiveKlController(cfg.Beta, target, cfg.KlHorizon) : new FixedKlController(cfg.Beta);
        var ptx = PtxTokens is { } tokens ? new PtxBatches(tokens, Math.Min(cfg.PtxSeqLen, _policy.MaxPositions)) : null;
        var epochs = new PpoEpochs(cfg, _policy, critic, policyOptimizer, criticOptimizer, ptx);
        var rng = new Rng(cfg.Seed);
        var cycle = new ShuffledOrder(_prompts.Count, rng); // shuffled by the run's generator, so its draws interleave with sampling
        var generation = new GenerationConfig(MaxNewTokens: cfg.MaxNewTokens, Temperature: cfg.Temperature);
        int iteration = 0, bestIteration = -1;
        long skippedSamples = 0, skippedUpdates = 0;
        if (state is not null)
        {
            PpoCheckpoint.Load(resumeDir!, _policy, critic, policyOptimizer, criticOptimizer);
            rng.SetState(state.Rng);
            try { cycle.Restore(state.Prompts); }
            catch (ArgumentException e) { throw new TrainingException($"the prompts differ from the checkpoint's: {e.Message}", e); }
            kl.Restore(state.KlCoef);
            if ((Guard is null) != (state.Guard is null))
                throw new TrainingException(Guard is null ? "the checkpoint holds a run guard's state but this run has no guard; resume with the run's own settings"
                    : "this run has a run guard but the checkpoint was written without one; resume with the run's own settings");
            if (Guard is not null) Guard.LoadState(state.Guard!);
            (iteration, bestIteration, skippedSamples, skippedUpdates) = (state.Iteration, state.BestIteration, state.SkippedSamples, state.SkippedUpdates);
            if (state.GuardStop is { } why)
            {
                _log.WriteLine($"{Kind}: the guard stopped this run at iteration {iteration} ({why}); nothing to resume. Best iteration: {bestIteration}");
                return new PpoResult(iteration, cfg.MaxSteps, false, why, bestIteration, double.NaN, double.NaN, resumeDir!);
            }
        }
        var samplesLog = new SampleLog(Path.Combine(outDir, "samples.jsonl"));
        if (state is not null && DataParallel.IsRoot) samplesLog.TruncateAfter(iteration);
        _log.WriteLine($"{Kind}: policy {TrainingSetup.Describe(_policy)}; critic {(critic.Shared ? "shares the policy trunk" : "has its own trunk")}");
        _log.WriteLine($"{Kind}: {_prompts.Count} prompts, {cfg.BatchSize} per iteration × {cfg.MaxNewTokens} new tokens (temperature {cfg.Temperature:G3}); "
            + $"reward {_reward.Name}{(Gold is null ? "" : $", gold {Gold.Name}")}{(HeldOut is null ? "" : $", held-out {HeldOut.Name}")}{(ptx is null ? "" : $", ptx {ptx.Count} tokens × {cfg.PtxCoef:G3}")}");
        _log.WriteLine($"{Kind}: {cfg.Epochs} epochs × minibatch {cfg.MinibatchSize}, lr {cfg.LearningRate:G3} (critic {cfg.CriticLr:G3}), clip {cfg.ClipRange:G3}/{cfg.ValueClipRange:G3}, "
            + $"γ {cfg.Gamma:G3} λ {cfg.Lambda:G3}, β {kl.Beta:G4} {(cfg.KlTarget is null ? "fixed" : $"adaptive (target {cfg.KlTarget:G3}, horizon {cfg.KlHorizon})")}, "
            + $"{cfg.MaxSteps} iterations" + (state is null ? "" : $"; resuming after iteration {iteration}"));

        double lastReward = double.NaN, lastKl = double.NaN;
        var dropWatch = new DroppedIterationWatch(Kind);

        // ---- one iteration: rollout → score → KL penalty → values → GAE → PPO epochs, then metrics, guard and samples
        StepOutcome Step(int it, List<(string Name, double Value)> metrics, ITrainingProgress progress)
        {
            long t0 = Stopwatch.GetTimestamp();
            double beta = kl.Beta; // this iteration's β (the controller moves it after the update)

            // 1. rollout: sample one response per prompt with the KV cache, keeping log π_old(a_t|s_t) (Ziegler et al. 2019, §2)
            var prompts = cycle.Next(cfg.BatchSize).Select(i => _prompts[i]).ToList();
            // 2. score each response once, at its end (InstructGPT: the RM returns one scalar per prompt/response)
            //    a reward that fails gives NaN for the batch (the samples are dropped below), as in GRPO (RewardScoring).
            //    Under mpiexec each rank samples and scores its shard of the prompts and receives everyone's (RolloutShards);
            //    the rest of the iteration then runs on the whole batch on every rank alike (the update is replicated, not sharded)
            //    (sampling and scoring interleave there, so the scoring time is measured inside and taken out of the generation time)
            double scoringSeconds = 0;
            var rollouts = RolloutShards.SampleAndScore(prompts, 1, rng, shard => RolloutSampler.Sample(_policy, _template, shard, 1, generation, rng),
                local =>
                {
                    long ts = Stopwatch.GetTimestamp();
                    var scored = (MissingEosPenalty.Apply(local, RewardScoring.ScoreOrSkip(_reward, local, out string? why), cfg.MissingEosPenalty), why);
                    scoringSeconds += Stopwatch.GetElapsedTime(ts).TotalSeconds;
                    return scored;
                });
            var (samples, outcomes, failure) = (rollouts.Samples, rollouts.Outcomes, rollouts.Failure);
            long t1 = Stopwatch.GetTimestamp();
            if (failure is not null) progress.Log($"{Kind}: iteration {it + 1}: {failure}; its samples are skipped");
            RewardOutcome[]? Measure(IRewardFunction? scorer)
            {
                if (scorer is null) return null;
                var scores = RewardScoring.ScoreOrSkip(scorer, samples, out string? why);
                if (why is not null) progress.Log($"{Kind}: iteration {it + 1}: {why}; logged as NaN");
                return scores;
            }
            var gold = Measure(Gold);
            var heldOut = Measure(HeldOut);
            long tReward = Stopwatch.GetTimestamp();
            var full = SequenceBatch.Build(samples, _tokenizer.EndOfTextId);
            int L = full.ResponseLength;
            var oldLogProbs = new float[full.Batch * L];
            for (int b = 0; b < samples.Count; b++) samples[b].OldLogProbs.CopyTo(oldLogProbs, b * L);

            // 3. per-token KL to the frozen reference: log π_ref of the same tokens, at the sampling temperature
            var refLogProbs = PolicyForward.LogProbs(_reference, full, cfg.Temperature);

            // 4. values V_old(s_t) of the states that chose each token
            var values = critic.ValuesNoGrad(full);

            // samples with a non-finite reward, log-prob or value are dropped (counted), the rest go on
            var kept = Enumerable.Range(0, samples.Count).Where(b => Finite(outcomes[b].Reward, oldLogProbs, refLogProbs, values, b * L, full.ResponseLengths[b])).ToArray();
            int dropped = samples.Count - kept.Length;
            skippedSamples += dropped;
            string? note = failure ?? outcomes.Select(o => o.Note).FirstOrDefault(n => n is not null);
            if (dropped > 0) progress.Log($"{Kind}: iteration {it + 1}: {dropped} of {samples.Count} samples dropped (non-finite reward or log-prob){(note is null ? "" : $"; {note}")}");
            dropWatch.Observe(it + 1, kept.Length, samples.Count, note ?? $"reward {outcomes.FirstOrDefault().Reward}");
            PpoUpdateStats? update = null;
            double meanKl = double.NaN, meanK3 = double.NaN;
            long t2 = tReward, t3 = tReward;
            if (kept.Length > 0)
            {
                var batch = full.Select(kept);
                float[] oldLp = PpoExperience.Gather(oldLogProbs, kept, L), refLp = PpoExperience.Gather(refLogProbs, kept, L), oldV = PpoExperience.Gather(values, kept, L);
                var scores = kept.Select(b => outcomes[b].Reward).ToArray();
                // 3 (cont.). r_t = −β·k1_t, plus the (clipped) score at the last token (Ziegler et al. 2019, eq. 2; InstructGPT eq. 2)
                var (rewards, klSeq, k3Seq) = TokenRewards.Compute(oldLp, refLp, batch.ResponseLengths, L, scores, beta, cfg.RewardClip);
                (meanKl, meanK3) = (klSeq.Average(), k3Seq.Average());

                // 5. GAE advantages and returns (Schulman et al. 2015), advantages whitened over the batch's tokens
                var (advantages, returns) = Gae.Compute(rewards, oldV, batch.ResponseLengths, L, cfg.Gamma, cfg.Lambda);
                if (cfg.WhitenAdvantages) Gae.Whiten(advantages, batch.ResponseMask);
                t2 = Stopwatch.GetTimestamp();

                // 6.–7. PPO epochs: clipped surrogate + clipped value loss (+ entropy bonus, + ptx)
                update = epochs.Run(new PpoExperience(batch, oldLp, oldV, advantages, returns), rng);
                skippedUpdates += update.Skipped;
                kl.Update(meanKl, kept.Length);
                t3 = Stopwatch.GetTimestamp();
            }
            iteration = it + 1;

            // ---- metrics, guard, samples, checkpoint
            var keptSamples = kept.Select(b => samples[b]).ToList();
            var (length, repetition) = ResponseStats.Summarize(keptSamples);
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var m = new Dictionary<string, double>
            {
                [RlMetricNames.ProxyReward] = MeanOf(kept, b => outcomes[b].Reward),
                [RlMetricNames.Kl] = meanKl, ["kl_k3"] = meanK3, ["kl_coef"] = beta,
                [RlMetricNames.Entropy] = update?.Entropy ?? double.NaN,
                [RlMetricNames.ResponseLength] = length, [RlMetricNames.RepetitionRate] = repetition,
                ["policy_loss"] = update?.PolicyLoss ?? double.NaN, ["value_loss"] = update?.ValueLoss ?? double.NaN,
                ["clip_frac"] = update?.ClipFraction ?? double.NaN, ["value_clip_frac"] = update?.ValueClipFraction ?? double.NaN,
                ["approx_kl"] = update?.ApproxKl ?? double.NaN, ["grad_norm"] = update?.GradNorm ?? double.NaN,
                ["skipped_samples"] = dropped, ["skipped_updates"] = update?.Skipped ?? 0,
                [MissingEosPenalty.MetricName] = MissingEosPenalty.TruncatedFraction(samples),
            };
            if (gold is not null) m[RlMetricNames.GoldReward] = MeanOf(kept, b => gold[b].Reward);
            if (heldOut is not null) m[RlMetricNames.HeldOutReward] = MeanOf(kept, b => heldOut[b].Reward);
            if (kept.Any(b => outcomes[b].Spread is not null)) m[RlMetricNames.EnsembleStd] = MeanOf(kept, b => outcomes[b].Spread ?? float.NaN);
            if (ptx is not null) m["ptx_loss"] = update?.PtxLoss ?? double.NaN;
            var verdict = Guard?.Observe(iteration, m) ?? GuardVerdict.Continue;
            if (Guard is ObservingGuard { StopIteration: { } wouldStop } observer && wouldStop == iteration)
            {
                m["guard_would_stop"] = 1; // watch-only guard: an in-loop guard would have cropped the run here
                progress.Log($"{Kind}: iteration {iteration}: the guard would stop the run here (watch only, going on): {observer.StopReason}");
            }
            m["time_generate_s"] = Stopwatch.GetElapsedTime(t0, t1).TotalSeconds - scoringSeconds;
            m["time_reward_s"] = scoringSeconds + Stopwatch.GetElapsedTime(t1, tReward).TotalSeconds;
            m["time_score_s"] = scoringSeconds + Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
            m["time_update_s"] = Stopwatch.GetElapsedTime(t2, t3).TotalSeconds;
            m["tokens_per_s"] = samples.Sum(s => s.CompletionIds.Length) / seconds;
            if (verdict.IsBest)
            {
                bestIteration = iteration;
                if (DataParallel.IsRoot) PpoCheckpoint.SaveBest(outDir, _policy, critic, _tokenizer, iteration, m);
                m["is_best"] = 1;
            }
            string? guardStop = null;
            if (verdict.Stop)
            {
                guardStop = verdict.Reason ?? "the run guard stopped the run";
                m["guard_stop"] = 1;
                progress.Log($"{Kind}: iteration {iteration}: the run guard stops the run: {guardStop} (best iteration {bestIteration})");
            }
            foreach (var (name, value) in m) metrics.Add((name, value));
            (lastReward, lastKl) = (m[RlMetricNames.ProxyReward], meanKl);
            progress.Log($"{Kind}: iteration {iteration}: reward {lastReward:F4}{(gold is null ? "" : $" (gold {m[RlMetricNames.GoldReward]:F4})")}, "
                + $"KL {meanKl:F3} (β {beta:G3}), entropy {m[RlMetricNames.Entropy]:F3}, clip {m["clip_frac"]:F3}, "
                + $"length {length:F1}, {seconds:F1} s");
            if (cfg.SampleEvery > 0 && (iteration % cfg.SampleEvery == 0 || iteration == 1) && kept.Length > 0)
            {
                var rows = kept.Take(cfg.SampleRows).Select(b => (samples[b].Prompt.Prompt, samples[b].CompletionText, (double)outcomes[b].Reward, gold is null ? (double?)null : gold[b].Reward)).ToList();
                if (DataParallel.IsRoot) samplesLog.Append(iteration, rows);
                foreach (var r in rows) progress.Log($"  [{r.Item3,7:F3}] {Clip(r.Prompt, 40)} → {Clip(r.CompletionText, 80)}");
            }
            return new StepOutcome(update?.PolicyLoss ?? double.NaN, m["tokens_per_s"], guardStop);
        }

        string Save(int it, string? guardStop) => PpoCheckpoint.Save(outDir, _policy, critic, _tokenizer, policyOptimizer, criticOptimizer,
            new PpoState(Kind, it, cfg, rng.GetState(), cycle.GetState(), kl.Beta, Guard?.SaveState(), bestIteration, skippedSamples, skippedUpdates, guardStop));

        var method = new TrainingMethod
        {
            Kind = Kind, StepName = "iteration", Step = Step, Save = Save,
            Summary = r => $"; last reward {lastReward:F4}, KL {lastKl:F3}"
                + (bestIteration >= 0 ? $"; best iteration {bestIteration} in {Path.Combine(outDir, RunLayout.BestDirectory)}" : "")
                + $"; checkpoint in {r.CheckpointDirectory}",
        };
        var loop = TrainingLoop.Run(method, cfg.Loop(cfg.MaxSteps), iteration, state is not null,
            _log, _progress, cancel, AfterIteration);
        return new PpoResult(loop.Step, cfg.MaxSteps, loop.Stopped, loop.StopReason, bestIteration, lastReward, lastKl, loop.CheckpointDirectory);
    }

    /// <summary>Refuses prompts that cannot be answered within the context, and a tokenizer the models cannot embed.</summary>
    private void CheckInputs(PpoConfig cfg)
    {
        if (_prompts.Count == 0) throw new TrainingException("no prompts to train on");
        if (PtxTokens is { Length: < 3 } ptx) throw new TrainingException($"PPO-ptx: the pretraining text has {ptx.Length} tokens; at least 3 are needed");
        foreach (var model in new[] { _policy, _reference, CriticInit }.OfType<ICausalLm>())
            TrainingSetup.CheckModel(model, _tokenizer, cfg.MaxNewTokens + 1);
        int context = Math.Min(_policy.MaxPositions, _reference.MaxPositions);
        for (int i = 0; i < _prompts.Count; i++)
        {
            int tokens = _template.EncodePrompt(_prompts[i].Prompt, _prompts[i].Messages).Length;
            if (tokens + cfg.MaxNewTokens > context)
                throw new TrainingException($"prompt {i + 1} (\"{Clip(_prompts[i].Prompt, 40)}\") has {tokens} tokens in the chat template; "
                    + $"with {cfg.MaxNewTokens} new tokens that exceeds the model context of {context}: shorten it or lower --max-new-tokens");
        }
    }

    private static bool Finite(float reward, float[] logProbs, float[] refLogProbs, float[] values, int offset, int length)
    {
        if (!float.IsFinite(reward)) return false;
        for (int t = offset; t < offset + length; t++)
            if (!float.IsFinite(logProbs[t]) || !float.IsFinite(refLogProbs[t]) || !float.IsFinite(values[t])) return false;
        return true;
    }

    private static double MeanOf(int[] rows, Func<int, double> value) => rows.Length == 0 ? double.NaN : rows.Average(value);

    private static string Clip(string text, int max)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }
}
