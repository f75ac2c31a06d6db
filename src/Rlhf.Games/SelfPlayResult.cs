namespace Rlhf.Games;

/// <summary>Outcome of <see cref="SelfPlayTrainer.Run"/>: iterations done, the last iteration's score against experts and pool, snapshot files (i0 = the initial network).</summary>
public sealed record SelfPlayResult(int Iterations, double LastScoreVsExperts, double LastScoreVsPool, IReadOnlyList<string> Snapshots, bool Stopped);
