namespace Rlhf.Training.Common;

/// <summary>The loop's cadence: run length, evaluation and checkpoint intervals (0: only at the end), an optional wall-time limit (measured by <paramref name="Clock"/>; null: the system clock, tests inject a fake).</summary>
public sealed record LoopSettings(string OutDir, int TotalSteps, int EvalInterval, int CheckpointInterval, TimeSpan? MaxWallTime = null,
    TimeProvider? Clock = null);
