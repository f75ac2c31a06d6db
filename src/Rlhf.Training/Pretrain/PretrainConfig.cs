using Rlhf.Training.Common;

namespace Rlhf.Training.Pretrain;

/// <summary>
/// Settings of a pretraining run (<see cref="PretrainTrainer"/>): the shared <see cref="TrainerConfig"/> fields.
/// <see cref="TrainerConfig.ValFraction"/> is the tail of the token stream held out for the validation loss;
/// <see cref="TrainerConfig.SeqLen"/> the packed window length (default: the model context).
/// </summary>
public sealed record PretrainConfig : TrainerConfig
{
    /// <summary>Splits the input files into documents at this string (null: one document per file).</summary>
    public string? Separator { get; init; }
}
