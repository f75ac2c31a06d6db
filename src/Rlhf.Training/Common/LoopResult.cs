namespace Rlhf.Training.Common;

/// <summary>How the loop ended.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps the run was set to.</param>
/// <param name="Stopped">True when cancelled or out of wall time before the end (the checkpoint resumes it).</param>
/// <param name="StopReason">Why the method itself ended the run early (the run guard), or null.</param>
/// <param name="CheckpointDirectory">Where the final state was saved.</param>
public sealed record LoopResult(int Step, int TotalSteps, bool Stopped, string? StopReason, string CheckpointDirectory);
