namespace Rlhf.Training.Sft;

/// <summary>How an SFT run ended.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Steps the run was set to (MaxSteps, or epochs × batches per epoch).</param>
/// <param name="Stopped">True when cancelled before the end (the checkpoint holds this step).</param>
/// <param name="LastLoss">Training loss of the last step (NaN when no step ran in this session).</param>
/// <param name="LastValLoss">Held-out loss of the last evaluation (NaN when none).</param>
/// <param name="BestValLoss">Lowest held-out loss (NaN when none).</param>
/// <param name="BestValStep">Step of <paramref name="BestValLoss"/> (−1 when none).</param>
/// <param name="CheckpointDirectory">Where the final training state and model were saved.</param>
public sealed record SftResult(int Step, int TotalSteps, bool Stopped, double LastLoss, double LastValLoss, double BestValLoss, int BestValStep,
    string CheckpointDirectory);
