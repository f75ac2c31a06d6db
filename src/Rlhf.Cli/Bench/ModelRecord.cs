namespace Rlhf.Cli.Bench;

/// <summary>One <c>bench train|forward|generate</c> result line (JSON: snake_case), as the PyTorch peer prints it.</summary>
public sealed record ModelRecord(string Bench, string Config, double TokensPerS, string Impl, double? MsPerStep, long Params, int Threads);
