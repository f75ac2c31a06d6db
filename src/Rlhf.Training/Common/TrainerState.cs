namespace Rlhf.Training.Common;

/// <summary>
/// <c>trainer_state.json</c> of a checkpoint: everything beyond the weights and optimizer moments that a resumed run
/// needs to continue exactly. <see cref="Step"/> optimizer steps are done; the sampler state draws step + 1's batch next.
/// </summary>
/// <param name="Kind">Which trainer wrote it (<c>pretrain</c>, <c>sft</c>); resuming with another one is refused.</param>
/// <param name="Step">Completed optimizer steps.</param>
/// <param name="BestValLoss">Lowest held-out loss so far (NaN before the first evaluation).</param>
/// <param name="BestValStep">Step of <paramref name="BestValLoss"/> (−1 before the first evaluation).</param>
/// <param name="TokensSeen">Training tokens processed so far (loss tokens for SFT).</param>
/// <param name="Config">The run's resolved settings.</param>
/// <param name="Sampler">The batch sampler's state (its generator, position, and the data shape it belongs to).</param>
public sealed record TrainerState<TConfig, TSampler>(string Kind, int Step, double BestValLoss, int BestValStep, long TokensSeen,
    TConfig Config, TSampler Sampler) where TConfig : TrainerConfig;
