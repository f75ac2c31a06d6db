namespace Rlhf.Cli.Demo.Report;

/// <summary>One value of a metric at a training step or iteration.</summary>
public sealed record DemoPoint(int Step, double Value);
