using Spectre.Console;

namespace Rlhf.Cli.Progress;

/// <summary>Options of <see cref="TrainingProgress.Start"/>; the defaults suit a console app.</summary>
public sealed record TrainingProgressOptions
{
    /// <summary>Force the live bar (true) or plain lines (false); null detects (live only when the console is interactive and not redirected, and no <see cref="PlainOutput"/> is given).</summary>
    public bool? Interactive { get; init; }

    /// <summary>Console for the live bar; null: <see cref="AnsiConsole.Console"/>.</summary>
    public IAnsiConsole? Console { get; init; }

    /// <summary>Where plain lines go; null: <see cref="System.Console.Out"/>.</summary>
    public TextWriter? PlainOutput { get; init; }

    /// <summary>Minimum time between plain lines (the first and last updates always print). Default 10 s.</summary>
    public TimeSpan PlainInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Clock for elapsed time and ETA (tests inject a fake); null: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? Clock { get; init; }
}
