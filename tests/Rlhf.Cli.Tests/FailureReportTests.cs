namespace Rlhf.Cli.Tests;

/// <summary>An exception no verb expects (here SQLite's "file is not a database") ends the verb with one error line and exit 1; the stack trace only with --verbose.</summary>
public class FailureReportTests
{
    private static string GarbageDb()
    {
        string path = Path.Combine(Path.GetTempPath(), "rlhf-notadb-" + Guid.NewGuid().ToString("N") + ".db");
        File.WriteAllText(path, new string('x', 4096));
        return path;
    }

    [Fact]
    public void NotADatabase_OneLine_NonZeroExit()
    {
        var (code, _, err) = InProcessCli.Run("label", "status", "--db", GarbageDb());
        Assert.NotEqual(0, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains("not a database", lines[0]);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void NotADatabase_Verbose_PrintsStackTrace()
    {
        var (code, _, err) = InProcessCli.Run("label", "status", "--db", GarbageDb(), "--verbose");
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains("   at ", err);
    }

    [Fact]
    public void Unwrap_PeelsWrappers()
    {
        var inner = new InvalidOperationException("cause");
        Assert.Same(inner, FailureReport.Unwrap(new AggregateException(new System.Reflection.TargetInvocationException(inner))));
    }
}
