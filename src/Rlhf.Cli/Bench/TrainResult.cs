namespace Rlhf.Cli.Bench;

/// <summary>
/// Outcome of <see cref="ModelBench.Train"/>: median throughput, the memory breakdown, and the per-op time of the
/// timed steps when the op profiler is on (<c>RLHF_PROFILE=1</c>).
/// </summary>
public sealed record TrainResult(double TokensPerSecond, double MsPerStep, MemoryBreakdown Memory, string? Profile);
