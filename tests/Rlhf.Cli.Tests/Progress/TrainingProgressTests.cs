using Rlhf.Cli.Progress;
using Spectre.Console;

namespace Rlhf.Cli.Tests.Progress;

public sealed class TrainingProgressTests
{
    /// <summary>A clock that only moves when told to: timestamps are TimeSpan ticks.</summary>
    private sealed class FakeClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(double seconds) => _ticks += TimeSpan.FromSeconds(seconds).Ticks;
    }

    private static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public void Plain_PrintsFirstUpdate_ThenAtIntervals_AndTheLastOnDispose()
    {
        var clock = new FakeClock();
        var output = new StringWriter();
        using (var p = TrainingProgress.Start("pretrain", 100, options: new() { PlainOutput = output, Clock = clock, PlainInterval = TimeSpan.FromSeconds(10) }))
        {
            Assert.False(p.IsInteractive);
            clock.Advance(1); p.Update(1, 3.0, 950);
            clock.Advance(1); p.Update(2, 2.9, 1000);      // 1 s after the last line: quiet
            clock.Advance(10); p.Update(12, 2.5, 12_345);  // 11 s: printed
            clock.Advance(1); p.Update(13, 2.4, 2_500_000);
            p.Log("eval: val_loss 2.6");
        }
        Assert.Equal([
            "pretrain: step 1/100 (1.0%) | loss 3.0000 | 950 tok/s | elapsed 0:01 | eta 1:39",
            "pretrain: step 12/100 (12.0%) | loss 2.5000 | 12.3k tok/s | elapsed 0:12 | eta 1:28",
            "eval: val_loss 2.6",
            "pretrain: step 13/100 (13.0%) | loss 2.4000 | 2.50M tok/s | elapsed 0:13 | eta 1:27",
        ], Lines(output));
    }

    [Fact]
    public void Plain_LastStepAlwaysPrints_EtaUsesOnlyThisSessionAfterResume()
    {
        var clock = new FakeClock();
        var output = new StringWriter();
        using (var p = TrainingProgress.Start("sft", 2000, startStep: 1000, new() { PlainOutput = output, Clock = clock, PlainInterval = TimeSpan.FromHours(1) }))
        {
            clock.Advance(10); p.Update(1010, double.NaN, -1);
            clock.Advance(3590); p.Update(1500, 1.5, 100);
            clock.Advance(1); p.Update(2000, 1.25, 100);
        }
        Assert.Equal([
            "sft: step 1010/2000 (50.5%) | loss - | - tok/s | elapsed 0:10 | eta 16:30",
            "sft: step 2000/2000 (100.0%) | loss 1.2500 | 100 tok/s | elapsed 1:00:01 | eta 0:00",
        ], Lines(output));
    }

    [Fact]
    public void Live_RendersOnAnInteractiveConsole()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(output),
        });
        using (var p = TrainingProgress.Start("rm", 10, options: new() { Interactive = true, Console = console }))
        {
            Assert.True(p.IsInteractive);
            p.Update(7, 0.6931, 4321);
            p.Log("checkpoint saved");
        }
        string text = output.ToString();
        Assert.Contains("7/10", text);
        Assert.Contains("loss 0.6931", text);
        Assert.Contains("4321 tok/s", text);
        Assert.Contains("checkpoint saved", text);
    }
}
