namespace Rlhf.Training.Dpo;

/// <summary>How a DPO run ended.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Steps the run was set to.</param>
/// <param name="Stopped">True when cancelled before the end (the checkpoint holds this step).</param>
/// <param name="LastLoss">Training loss of the last step (NaN when no step ran in this session).</param>
/// <param name="LastEval">The last held-out evaluation (null when none).</param>
/// <param name="Data">What encoding the training pairs kept and skipped.</param>
/// <param name="CheckpointDirectory">Where the final training state and policy were saved.</param>
public sealed record DpoResult(int Step, int TotalSteps, bool Stopped, double LastLoss, IReadOnlyDictionary<string, double>? LastEval,
    DpoFitReport Data, string CheckpointDirectory);
