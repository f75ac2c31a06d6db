using Rlhf.Training.Common;
using Rlhf.Data.Progress;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Tests.Common;

/// <summary>
/// <see cref="TrainingLoop"/> with a scripted method: the cadence of evaluations and checkpoints, the metrics lines,
/// and the stop signals (cancellation, the wall-time limit on an injected clock, a method's own stop reason).
/// </summary>
public sealed class TrainingLoopTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>Records what the loop asked for: steps run, evaluations and saves (by step).</summary>
    private sealed class Script
    {
        public List<int> Steps { get; } = [];
        public List<int> Evaluations { get; } = [];
        public List<int> Saves { get; } = [];
        public string? StopAt { get; init; }
        public int StopStep { get; init; } = -1;

        public TrainingMethod Method(bool evaluate = true) => new()
        {
            Kind = "toy",
            Step = (s, values, _) =>
            {
                Steps.Add(s);
                values.Add(("loss", 10 - s));
                return new StepOutcome(10 - s, 1, s + 1 == StopStep ? StopAt : null);
            },
            Evaluate = evaluate ? (s, values) => { Evaluations.Add(s); values.Add(("val_loss", s)); return null; } : null,
            Save = (s, _) => { Saves.Add(s); return $"saved-{s}"; },
        };
    }

    private static IProgressReporter Quiet() => TrainingFixtures.Quiet;

    [Fact]
    public void Evaluates_at_zero_every_interval_and_at_the_end_and_saves_every_interval_and_at_the_end()
    {
        string dir = _tmp.File("run");
        var script = new Script();
        var r = TrainingLoop.Run(script.Method(), new LoopSettings(dir, 7, EvalInterval: 3, CheckpointInterval: 2), 0, false, TextWriter.Null, Quiet(), default);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], script.Steps);
        Assert.Equal([0, 3, 6, 7], script.Evaluations);
        Assert.Equal([2, 4, 6, 7], script.Saves);
        Assert.Equal((7, false, null, "saved-7"), (r.Step, r.Stopped, r.StopReason, r.CheckpointDirectory));
        var lines = MetricsReader.Read(Path.Combine(dir, TrainingSetup.MetricsFile));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], lines.Select(e => e.Step));
        Assert.Equal(9, lines[2].Get("loss"));                 // step 2 is the line of the second step (s = 1: loss 10 − 1) …
        Assert.Equal(3, lines[3].Get("val_loss"));              // … and evaluations join the line of their step
        Assert.False(lines[2].Values.ContainsKey("val_loss"));
    }

    [Fact]
    public void A_resumed_run_continues_from_its_step_without_a_step_zero_evaluation()
    {
        string dir = _tmp.File("run");
        TrainingLoop.Run(new Script().Method(), new LoopSettings(dir, 2, 0, 0), 0, false, TextWriter.Null, Quiet(), default);
        var script = new Script();
        var r = TrainingLoop.Run(script.Method(), new LoopSettings(dir, 4, 0, 0), 2, true, TextWriter.Null, Quiet(), default);
        Assert.Equal([2, 3], script.Steps);
        Assert.Equal([4], script.Evaluations);
        Assert.Equal([4], script.Saves);
        Assert.Equal(4, r.Step);
        Assert.Equal([0, 1, 2, 3, 4], MetricsReader.Read(Path.Combine(dir, TrainingSetup.MetricsFile)).Select(e => e.Step));
    }

    [Fact]
    public void The_wall_time_limit_stops_before_the_step_that_would_exceed_it_and_saves_that_step()
    {
        var clock = new ManualClock();
        var script = new Script();
        var log = new StringWriter();
        var settings = new LoopSettings(_tmp.File("run"), 10, 0, 0, MaxWallTime: TimeSpan.FromSeconds(25), Clock: clock);
        var r = TrainingLoop.Run(script.Method(evaluate: false), settings, 0, false, log, Quiet(), default,
            afterStep: _ => clock.Advance(TimeSpan.FromSeconds(10)));  // each step "takes" 10 s
        Assert.Equal([0, 1, 2], script.Steps);                          // 30 s ≥ 25 s after the third step
        Assert.Equal([3], script.Saves);
        Assert.True(r.Stopped);
        Assert.Null(r.StopReason);
        Assert.Contains("toy stopped at step 3/10 (continue with --resume)", log.ToString());
    }

    [Fact]
    public void Cancellation_stops_with_a_checkpoint_and_a_method_stop_reason_ends_after_that_steps_checkpoint()
    {
        using var cts = new CancellationTokenSource();
        var cancelled = new Script();
        var r = TrainingLoop.Run(cancelled.Method(false), new LoopSettings(_tmp.File("a"), 10, 0, 0), 0, false, TextWriter.Null, Quiet(), cts.Token,
            afterStep: s => { if (s == 2) cts.Cancel(); });
        Assert.Equal((2, true), (r.Step, r.Stopped));
        Assert.Equal([2], cancelled.Saves);

        var guarded = new Script { StopAt = "gold fell", StopStep = 4 };
        var log = new StringWriter();
        r = TrainingLoop.Run(guarded.Method(false), new LoopSettings(_tmp.File("b"), 10, 0, 0), 0, false, log, Quiet(), default);
        Assert.Equal((4, false, "gold fell"), (r.Step, r.Stopped, r.StopReason));
        Assert.Equal([4], guarded.Saves);
        Assert.Contains("toy cropped by the run guard at step 4: gold fell", log.ToString());
    }
}
