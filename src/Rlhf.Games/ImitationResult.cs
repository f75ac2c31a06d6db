namespace Rlhf.Games;

/// <summary>Outcome of <see cref="ImitationTrainer.Run"/>: steps done, last losses, validation accuracy, snapshot files (one per epoch).</summary>
public sealed record ImitationResult(int Steps, double TrainLoss, double ValidationLoss, double ValidationAccuracy, IReadOnlyList<string> Snapshots, bool Stopped);
