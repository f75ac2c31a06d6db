namespace Rlhf.Training.Pretrain;

/// <summary>How a pretraining run ended.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="Stopped">True when cancelled before <see cref="Common.TrainerConfig.MaxSteps"/> (the checkpoint holds this step).</param>
/// <param name="LastLoss">Training loss of the last step (NaN when no step ran in this session).</param>
/// <param name="LastValLoss">Validation loss of the last evaluation (NaN when none).</param>
/// <param name="BestValLoss">Lowest validation loss (NaN when none).</param>
/// <param name="BestValStep">Step of <paramref name="BestValLoss"/> (−1 when none).</param>
/// <param name="UnigramEntropy">Unigram entropy of the training tokens, nats.</param>
/// <param name="CheckpointDirectory">Where the final training state and model were saved.</param>
public sealed record PretrainResult(int Step, bool Stopped, double LastLoss, double LastValLoss, double BestValLoss, int BestValStep,
    double UnigramEntropy, string CheckpointDirectory);
