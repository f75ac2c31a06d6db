namespace Rlhf.Cli;

/// <summary>
/// The last line of a verb that failed with an exception nobody expected (a bug, or a library error such as SQLite's
/// "file is not a database"): one <c>error: …</c> line naming the message and the exception type, and the stack trace
/// only when the user asked for it with <c>--verbose</c>.
/// </summary>
public static class FailureReport
{
    /// <summary>Exit code of a verb ended by an exception (the same as for an expected user error).</summary>
    public const int ExitCode = 1;

    /// <summary>Writes the report of <paramref name="exception"/> to <paramref name="error"/>; returns <see cref="ExitCode"/>.</summary>
    public static int Write(Exception exception, TextWriter error, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(error);
        var e = Unwrap(exception);
        string message = OneLine(e.Message);
        error.WriteLine(verbose
            ? $"error: {message} ({e.GetType().FullName})"
            : $"error: {message} ({e.GetType().Name}; run again with --verbose for the stack trace)");
        if (verbose) error.WriteLine(exception.ToString());
        error.Flush();
        return ExitCode;
    }

    /// <summary>The exception that carries the real cause: wrappers (aggregate, reflection, type initializer) are peeled off.</summary>
    public static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a: e = a.InnerExceptions[0]; continue;
                case System.Reflection.TargetInvocationException { InnerException: { } inner }: e = inner; continue;
                case TypeInitializationException { InnerException: { } inner2 }: e = inner2; continue;
                default: return e;
            }
        }
    }

    /// <summary>A multi-line message folded into one line.</summary>
    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
