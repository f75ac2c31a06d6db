namespace Rlhf.Cli.Demo.Report;

/// <summary>Sizes of the demo's built-in data set (null where the file is missing): corpus documents, SFT demonstrations, prompt sets.</summary>
public sealed record DemoData(int? Documents, int? Demonstrations, int? LabelPrompts, int? RlPrompts, int? EvalPrompts);
