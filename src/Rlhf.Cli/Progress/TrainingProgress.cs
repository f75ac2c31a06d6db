using System.Globalization;
using Rlhf.Data.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Rlhf.Cli.Progress;

/// <summary>
/// Training progress on the console: <c>using var p = TrainingProgress.Start("pretrain", 5000); p.Update(step, loss, tokensPerSecond);</c>
/// <para>
/// On an interactive terminal: a Spectre.Console live bar (title, bar, step/total, loss, tokens/s, elapsed, ETA),
/// rendered by Spectre's own refresh thread. When output is redirected or the console is not interactive (CI, tests,
/// <c>| tee log</c>): plain lines, on the first update, then at most every <see cref="TrainingProgressOptions.PlainInterval"/>,
/// and at the last step / on dispose. ETA = remaining steps × elapsed / steps done in this session (steps before
/// <c>startStep</c>, i.e. before a resume, do not count). Use <see cref="Log"/> for other messages during a live bar
/// (plain <c>Console.WriteLine</c> would garble it). Only one live bar can run at a time (a Spectre limit); if one
/// cannot start, this falls back to plain lines.
/// </para>
/// </summary>
public sealed class TrainingProgress : ITrainingProgress
{
    private readonly string _title;
    private readonly int _total, _startStep;
    private readonly TimeProvider _clock;
    private readonly long _startTicks;
    private readonly TextWriter _plain;
    private readonly TimeSpan _interval;
    private readonly IAnsiConsole? _console;
    private readonly Lock _lock = new();
    private volatile Snapshot _now;
    private long _lastPrintTicks;
    private bool _anyPrinted, _unprinted, _disposed;

    // live mode
    private readonly Thread? _liveThread;
    private readonly ManualResetEventSlim _stop = new();
    private ProgressTask? _task;

    /// <summary>The latest state shown (immutable, swapped whole so the render thread reads a consistent one).</summary>
    private sealed record Snapshot(int Step, double Loss, double TokensPerSecond, TimeSpan Elapsed);

    private TrainingProgress(string title, int totalSteps, int startStep, TrainingProgressOptions o)
    {
        (_title, _total, _startStep) = (title, totalSteps, startStep);
        _clock = o.Clock ?? TimeProvider.System;
        _startTicks = _clock.GetTimestamp();
        _plain = o.PlainOutput ?? Console.Out;
        _interval = o.PlainInterval;
        _now = new Snapshot(startStep, double.NaN, 0, TimeSpan.Zero);

        bool interactive = o.Interactive ?? (o.PlainOutput is null && AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected);
        if (!interactive) return;
        _console = o.Console ?? AnsiConsole.Console;
        Exception? error = null;
        var ready = new ManualResetEventSlim(); // not disposed: the live thread still signals it when it ends
        _liveThread = new Thread(() =>
        {
            try
            {
                _console.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new StatsColumn(this))
                    .Start(ctx =>
                    {
                        _task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, totalSteps));
                        _task.Value = startStep;
                        ready.Set();
                        _stop.Wait();
                        _task.Value = Math.Min(_now.Step, _task.MaxValue);
                        ctx.Refresh();
                    });
            }
            catch (Exception e) { error = e; } // e.g. another live display is running: fall back to plain lines
            finally { ready.Set(); }
        }) { IsBackground = true, Name = "TrainingProgress" };
        _liveThread.Start();
        ready.Wait();
        if (error is not null || _task is null)
        {
            _liveThread.Join();
            (_liveThread, _task, _console) = (null, null, null);
        }
    }

    /// <summary>
    /// Starts showing progress of <paramref name="title"/> towards <paramref name="totalSteps"/>; a resumed run
    /// passes its first step as <paramref name="startStep"/> so the ETA only uses this session's speed.
    /// </summary>
    public static TrainingProgress Start(string title, int totalSteps, int startStep = 0, TrainingProgressOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(startStep);
        return new TrainingProgress(title, totalSteps, startStep, options ?? new TrainingProgressOptions());
    }

    /// <summary>True when a live Spectre bar is shown, false for plain lines.</summary>
    public bool IsInteractive => _task is not null;

    /// <summary>Reports that <paramref name="step"/> (of the total) finished with this loss and throughput.</summary>
    public void Update(int step, double loss, double tokensPerSecond)
    {
        var snap = new Snapshot(step, loss, tokensPerSecond, _clock.GetElapsedTime(_startTicks));
        _now = snap;
        if (_task is not null)
        {
            _task.Value = Math.Min(step, _task.MaxValue);
            return;
        }
        lock (_lock)
        {
            long ticks = _clock.GetTimestamp();
            if (!_anyPrinted || step >= _total || _clock.GetElapsedTime(_lastPrintTicks, ticks) >= _interval)
            {
                _plain.WriteLine(FormatLine(snap));
                _plain.Flush();
                (_lastPrintTicks, _anyPrinted, _unprinted) = (ticks, true, false);
            }
            else _unprinted = true;
        }
    }

    /// <summary>Writes a message line without disturbing the live bar (plain mode: to the plain output).</summary>
    public void Log(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_console is not null) _console.WriteLine(message);
        else lock (_lock)
        {
            _plain.WriteLine(message);
            _plain.Flush();
        }
    }

    /// <summary>Stops the live bar (leaving its final state on screen) or prints the last unprinted update.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_liveThread is not null)
        {
            _stop.Set();
            _liveThread.Join();
        }
        else lock (_lock)
        {
            if (_unprinted)
            {
                _plain.WriteLine(FormatLine(_now));
                _plain.Flush();
            }
        }
        _stop.Dispose();
    }

    /// <summary>e.g. <c>pretrain: step 120/5000 (2.4%) | loss 2.3456 | 12.3k tok/s | elapsed 1:02 | eta 41:10</c>.</summary>
    private string FormatLine(Snapshot s)
    {
        double pct = _total == 0 ? 100 : 100.0 * s.Step / _total;
        return string.Create(CultureInfo.InvariantCulture,
            $"{_title}: step {s.Step}/{_total} ({pct:F1}%) | {Stats(s)} | elapsed {Duration(s.Elapsed)} | eta {Eta(s)}");
    }

    private static string Stats(Snapshot s) =>
        string.Create(CultureInfo.InvariantCulture, $"loss {(double.IsNaN(s.Loss) ? "-" : s.Loss.ToString("F4", CultureInfo.InvariantCulture))} | {Rate(s.TokensPerSecond)} tok/s");

    /// <summary>Remaining time from this session's speed, or "?" before any step was done.</summary>
    private string Eta(Snapshot s)
    {
        int done = s.Step - _startStep;
        if (done <= 0 || s.Elapsed <= TimeSpan.Zero) return "?";
        return Duration(s.Elapsed * ((double)Math.Max(0, _total - s.Step) / done));
    }

    internal static string Rate(double perSecond) =>
        !double.IsFinite(perSecond) || perSecond < 0 ? "-"
        : perSecond >= 1e6 ? (perSecond / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M"
        : perSecond >= 1e4 ? (perSecond / 1e3).ToString("F1", CultureInfo.InvariantCulture) + "k"
        : perSecond.ToString("F0", CultureInfo.InvariantCulture);

    internal static string Duration(TimeSpan t) =>
        t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:D2}");

    /// <summary>The live bar's text column: step/total, loss, tokens/s, elapsed, ETA (from the latest snapshot).</summary>
    private sealed class StatsColumn(TrainingProgress owner) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var s = owner._now with { Elapsed = owner._clock.GetElapsedTime(owner._startTicks) };
            return new Text(string.Create(CultureInfo.InvariantCulture,
                $"{s.Step}/{owner._total} | {Stats(s)} | {Duration(s.Elapsed)} < {owner.Eta(s)}"));
        }
    }
}
