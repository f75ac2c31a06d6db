using System.Runtime.InteropServices;
using Rlhf.Data.Progress;
using Rlhf.Training.Distributed;

namespace Rlhf.Training.Common;

/// <summary>
/// The one training loop every trainer runs (pretrain, SFT, reward model, DPO, GRPO, PPO), nanoGPT's
/// <c>while True:</c> written once: evaluate at step 0 of a fresh run, then
/// <code>
/// while step &lt; total:
///     stop (cancelled or past the wall-time limit)? → break, the checkpoint below keeps the run resumable
///     method.Step            → the step's metrics (loss, lr, grad norm, …)
///     evaluate when due      → held-out metrics appended to the same line
///     metrics.jsonl          ← one line per step
///     checkpoint when due    (every CheckpointInterval steps and at the last step)
/// final checkpoint (when the last step's was not written) and the summary line
/// </code>
/// The method (<see cref="TrainingMethod"/>) owns its models, data and state; the loop owns the cadence, the
/// metrics log, progress, stop signals and the summary, so a feature for every trainer (a wall-time limit, a new
/// logger) is written here once.
/// <para>
/// Under <c>mpiexec</c> (<see cref="DataParallel"/>) every rank runs this loop in step: the method's sampler gives
/// each rank its shard and <see cref="OptimizerStep"/> sums the gradients, while the loop combines each step's metrics
/// into the global batch's (<see cref="StepMetrics"/>, plus <c>allreduce_s</c>: seconds in the gradient exchange),
/// lets only rank 0 write <c>metrics.jsonl</c>, checkpoints and progress, and stops every rank at the same step when
/// any of them is cancelled or out of wall time. One process: nothing of this runs.
/// </para>
/// </summary>
public static class TrainingLoop
{
    /// <summary>
    /// Runs <paramref name="method"/> from <paramref name="startStep"/> (0, or the resumed checkpoint's step) to
    /// <see cref="LoopSettings.TotalSteps"/>. <paramref name="resumed"/> cuts <c>metrics.jsonl</c> back to
    /// <paramref name="startStep"/> instead of starting it anew, and skips the step-0 evaluation.
    /// </summary>
    public static LoopResult Run(TrainingMethod method, LoopSettings settings, int startStep, bool resumed, TextWriter log,
        IProgressReporter? reporter, CancellationToken cancel, Action<int>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        var clock = settings.Clock ?? TimeProvider.System;
        long started = clock.GetTimestamp();
        int step = startStep, total = settings.TotalSteps;
        var values = new List<(string Name, double Value)>();
        var world = DataParallel.World;
        bool root = world.Rank == 0, distributed = world.Size > 1;
        if (!root) reporter = NullProgress.Instance;

        // every rank has passed its set-up checks before rank 0 creates metrics.jsonl: a fresh run refuses a directory
        // that holds one, so a rank that starts late would otherwise find rank 0's new file and fail
        if (distributed) world.Barrier();
        using var metrics = root ? TrainingSetup.OpenMetrics(settings.OutDir, resumed ? startStep : null) : null;
        if (!resumed && method.Evaluate is { } evaluateFirst)
        {
            string? line = evaluateFirst(0, values);
            if (distributed) StepMetrics.Combine(world, values, share: null);
            metrics?.Write(0, CollectionsMarshal.AsSpan(values));
            if (line is not null) log.WriteLine(line);
        }

        int saved = resumed ? startStep : -1;
        bool stopped = false, cancelled;
        string? stopReason = null, checkpoint = null;
        using (var progress = (reporter ?? NullProgress.Instance).Start(method.Kind, total, step))
        {
            while (step < total)
            {
                bool outOfTime = settings.MaxWallTime is { } limit && clock.GetElapsedTime(started) >= limit;
                if (distributed) (cancelled, outOfTime) = AnyRank(world, cancel.IsCancellationRequested, outOfTime);
                else cancelled = cancel.IsCancellationRequested;
                if (cancelled) { stopped = true; break; }
                if (outOfTime)
                {
                    progress.Log($"{method.Kind}: the wall-time limit ({settings.MaxWallTime}) is reached; stopping after {method.StepName} {step}");
                    stopped = true;
                    break;
                }

                values.Clear();
                var outcome = method.Step(step, values, progress);
                step++;
                if (method.Evaluate is { } evaluate && ((settings.EvalInterval > 0 && step % settings.EvalInterval == 0) || step == total))
                {
                    if (evaluate(step, values) is { } line) progress.Log(line);
                }
                if (distributed)
                {
                    StepMetrics.Combine(world, values, DataParallel.LocalShare);
                    values.Add(("allreduce_s", GradientAllReduce.LastSeconds));
                    outcome = Global(outcome, values);
                }
                metrics?.Write(step, CollectionsMarshal.AsSpan(values));
                progress.Update(step, outcome.Loss, outcome.TokensPerSecond);
                stopReason = outcome.StopReason;

                bool last = step == total || stopReason is not null;
                bool due = (settings.CheckpointInterval > 0 && step % settings.CheckpointInterval == 0) || last;
                if (due && !(last && method.SaveAfterFinish))
                {
                    checkpoint = root ? method.Save(step, stopReason) : null;
                    saved = step;
                }
                afterStep?.Invoke(step);
                if (stopReason is not null) break;
            }
        }
        method.Finish?.Invoke(stopped);
        if ((saved != step || method.SaveAfterFinish) && root) checkpoint = method.Save(step, stopReason);
        checkpoint ??= Path.Combine(settings.OutDir, RunLayout.CheckpointDirectory);

        var result = new LoopResult(step, total, stopped, stopReason, checkpoint);
        string head = stopReason is not null ? $"{method.Kind} cropped by the run guard at {method.StepName} {step}: {stopReason}"
            : stopped ? $"{method.Kind} stopped at {method.StepName} {step}/{total} (continue with --resume)"
            : $"{method.Kind} done: {step} {method.StepName}s";
        log.WriteLine(head + (method.Summary?.Invoke(result) ?? ""));
        return result;
    }

    /// <summary>Whether any rank is cancelled / out of wall time, so that all stop at the same step (one small sum).</summary>
    private static (bool Cancelled, bool OutOfTime) AnyRank(IProcessGroup world, bool cancelled, bool outOfTime)
    {
        Span<double> flags = [cancelled ? 1 : 0, outOfTime ? 1 : 0];
        world.AllReduceSum(flags);
        return (flags[0] > 0, flags[1] > 0);
    }

    /// <summary>The progress display's loss and throughput from the combined metrics (global batch), where logged.</summary>
    private static StepOutcome Global(StepOutcome outcome, List<(string Name, double Value)> values)
    {
        foreach (var (name, value) in values)
        {
            if (name == "loss") outcome = outcome with { Loss = value };
            else if (name == "tokens_per_s") outcome = outcome with { TokensPerSecond = value };
        }
        return outcome;
    }
}
