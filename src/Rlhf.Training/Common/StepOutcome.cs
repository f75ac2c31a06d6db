namespace Rlhf.Training.Common;

/// <summary>One step's figures for the progress display, and a reason to stop the run after it (null: go on).</summary>
public readonly record struct StepOutcome(double Loss, double TokensPerSecond, string? StopReason = null);
