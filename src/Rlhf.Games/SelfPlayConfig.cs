namespace Rlhf.Games;

/// <summary>
/// Settings of <see cref="SelfPlayTrainer"/>: actor-critic policy gradient on game outcomes, the learner playing
/// against a pool of its own past snapshots and the scripted experts (AlphaGo's RL step, Silver et al. 2016, which
/// sampled opponents from past iterations "to stabilise training by preventing overfitting to the current policy").
/// </summary>
/// <param name="Iterations">Policy updates; each one follows <paramref name="GamesPerIteration"/> fresh games.</param>
/// <param name="GamesPerIteration">Games played per update (the learner alternates colours).</param>
/// <param name="LearningRate">AdamW learning rate (constant).</param>
/// <param name="ValueCoef">c_v of the value loss.</param>
/// <param name="EntropyCoef">β of the entropy bonus.</param>
/// <param name="Experts">Expert opponents (names of <see cref="Experts.Create"/>).</param>
/// <param name="ExpertFraction">Probability a game's opponent is an expert (uniform among them); otherwise a pool snapshot (uniform).</param>
/// <param name="SnapshotEvery">Every this many iterations the learner is saved as a snapshot and joins the opponent pool.</param>
/// <param name="MaxGradNorm">Global gradient-norm clip.</param>
/// <param name="Seed">Seeds games (moves, opponent choice).</param>
public sealed record SelfPlayConfig(
    int Iterations = 3000,
    int GamesPerIteration = 64,
    float LearningRate = 3e-4f,
    float ValueCoef = 0.5f,
    float EntropyCoef = 0.01f,
    string[]? Experts = null,
    double ExpertFraction = 0.5,
    int SnapshotEvery = 250,
    float MaxGradNorm = 1f,
    ulong Seed = 1)
{
    /// <summary>The expert opponents, weakest first (default: greedy, ab1, ab3 — random teaches nothing).</summary>
    public string[] ExpertOpponents => Experts ?? ["greedy", "ab1", "ab3"];

    /// <summary>Value equality including the expert list's contents (records compare arrays by reference).</summary>
    public bool SameAs(SelfPlayConfig other) => (this with { Experts = null }) == (other with { Experts = null }) && ExpertOpponents.SequenceEqual(other.ExpertOpponents);
}
