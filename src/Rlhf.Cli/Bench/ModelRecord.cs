namespace Rlhf.Cli.Bench;

/// <summary>
/// One <c>bench train|forward|generate</c> result line (JSON: snake_case), as the PyTorch peer prints it.
/// <see cref="PeakRssMb"/>: the process's peak resident set so far; <see cref="Memory"/>: the training step's breakdown;
/// <see cref="TrainableParams"/>: the scalars the optimizer updates (all parameters, or the LoRA adapters').
/// </summary>
public sealed record ModelRecord(string Bench, string Config, double TokensPerS, string Impl, double? MsPerStep, long Params, int Threads,
    int? Batch = null, int? Seq = null, double? PeakRssMb = null, bool? GradCheckpoint = null, MemoryBreakdown? Memory = null, int? LoraR = null,
    long? TrainableParams = null);
