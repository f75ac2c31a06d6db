namespace Rlhf.Games;

/// <summary>Outcome of <see cref="AlphaZeroTrainer.Run"/>: iterations done, last losses, snapshot files (i0 = the initial network).</summary>
public sealed record AlphaZeroResult(int Iterations, double PolicyLoss, double ValueLoss, IReadOnlyList<string> Snapshots, bool Stopped);
