namespace Rlhf.Training.Ppo;

/// <summary>How a PPO run ended.</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="TotalIterations">Iterations the run was set to.</param>
/// <param name="Stopped">True when cancelled before the end (the checkpoint holds this iteration; continue with resume).</param>
/// <param name="GuardStop">The run guard's reason when it cropped the run (null otherwise).</param>
/// <param name="BestIteration">Iteration saved in <c>best/</c> (−1: none).</param>
/// <param name="LastProxyReward">Mean reward-model score of the last iteration (NaN when none ran).</param>
/// <param name="LastKl">Mean sequence KL to the reference of the last iteration (NaN when none ran).</param>
/// <param name="CheckpointDirectory">Where the final state was saved.</param>
public sealed record PpoResult(int Iteration, int TotalIterations, bool Stopped, string? GuardStop, int BestIteration,
    double LastProxyReward, double LastKl, string CheckpointDirectory);
