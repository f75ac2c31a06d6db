namespace Rlhf.Cli.Demo.Report;

/// <summary>One line of the demo's summary table: the stage (or comparison) it belongs to, what is measured, and the value as text.</summary>
/// <param name="Stage">Stage name as in demo.json (<c>ppo</c>, <c>bon</c>, …), or <c>matched KL</c> / <c>time</c>.</param>
/// <param name="Figure">What the value is, e.g. "gold peak".</param>
/// <param name="Value">The value, formatted; "not run" / "failed" when the stage has no results.</param>
public sealed record DemoRow(string Stage, string Figure, string Value);
