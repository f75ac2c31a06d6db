namespace Rlhf.Training.Reporting.Demo;

/// <summary>One value of a metric at a training step or iteration.</summary>
public sealed record DemoPoint(int Step, double Value);
