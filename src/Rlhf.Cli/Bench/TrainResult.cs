namespace Rlhf.Cli.Bench;

/// <summary>Outcome of <see cref="ModelBench.Train"/>: median throughput and the memory breakdown.</summary>
public sealed record TrainResult(double TokensPerSecond, double MsPerStep, MemoryBreakdown Memory);
