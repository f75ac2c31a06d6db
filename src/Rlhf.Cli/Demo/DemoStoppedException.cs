namespace Rlhf.Cli.Demo;

/// <summary>A stage's verb was stopped by Ctrl+C / SIGTERM: the demo stops too, and a re-run resumes from the last finished stage.</summary>
public sealed class DemoStoppedException : Exception
{
    /// <summary>The stop.</summary>
    public DemoStoppedException() : base("the demo was stopped; run the same command again to resume from the last finished stage") { }
}
