namespace Rlhf.Training.Grpo;

/// <summary>How a GRPO run ended.</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="TotalIterations">Iterations the run was set to.</param>
/// <param name="Stopped">True when cancelled before the end (the checkpoint holds this iteration).</param>
/// <param name="LastReward">Mean reward of the last iteration's samples (NaN when none ran).</param>
/// <param name="InitialAccuracy">Held-out accuracy at iteration 0 (NaN when not evaluated in this session).</param>
/// <param name="LastAccuracy">Held-out accuracy at the last evaluation (NaN when none).</param>
/// <param name="BestAccuracy">Best held-out accuracy (NaN when none).</param>
/// <param name="BestIteration">Iteration of <paramref name="BestAccuracy"/>.</param>
/// <param name="CheckpointDirectory">Where the final state and model were saved.</param>
public sealed record GrpoResult(int Iteration, int TotalIterations, bool Stopped, double LastReward, double InitialAccuracy, double LastAccuracy,
    double BestAccuracy, int BestIteration, string CheckpointDirectory);
