namespace Rlhf.Cli.Bench;

/// <summary>
/// Outcome of <see cref="ModelBench.Train"/>: median throughput, the memory breakdown, and the per-op time of the
/// timed steps when the op profiler is on (<c>RLHF_PROFILE=1</c>), the model's parameter count and how many of them
/// were trained (all, or the LoRA adapters').
/// </summary>
public sealed record TrainResult(double TokensPerSecond, double MsPerStep, MemoryBreakdown Memory, string? Profile, long Params, long TrainableParams);
