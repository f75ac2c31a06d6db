namespace Rlhf.Games;

/// <summary>
/// Settings of <see cref="AlphaZeroTrainer"/> (AlphaZero-style self-play: PUCT search produces the move targets,
/// the game outcome the value targets; Silver et al. 2017/2018), started from the imitation network.
/// </summary>
/// <param name="Iterations">Iterations; each plays <paramref name="GamesPerIteration"/> games then takes <paramref name="StepsPerIteration"/> gradient steps.</param>
/// <param name="GamesPerIteration">Self-play games per iteration (each from a random two-ply opening).</param>
/// <param name="Simulations">Search simulations per move.</param>
/// <param name="CPuct">PUCT exploration constant.</param>
/// <param name="TemperatureMoves">Moves (counted from the empty board) played in proportion to visit counts; later moves take the most visited column.</param>
/// <param name="BufferSize">Replay buffer capacity (positions).</param>
/// <param name="MinBuffer">No gradient steps until the buffer holds this many positions (a few minibatches' worth of distinct games, against overfitting the first ones).</param>
/// <param name="StepsPerIteration">AdamW steps per iteration, minibatches drawn uniformly from the buffer.</param>
/// <param name="BatchSize">Positions per minibatch.</param>
/// <param name="LearningRate">AdamW learning rate (constant).</param>
/// <param name="WeightDecay">AdamW decoupled weight decay (AlphaZero's L2 term).</param>
/// <param name="ValueWeight">c in L = CE(π, p) + c·(z − v)².</param>
/// <param name="SnapshotEvery">Every this many iterations: a snapshot (a point of the Elo curve) and a checkpoint.</param>
/// <param name="Seed">Seeds openings, root noise, move sampling and minibatches.</param>
public sealed record AlphaZeroConfig(
    int Iterations = 60,
    int GamesPerIteration = 32,
    int Simulations = 64,
    float CPuct = 1.5f,
    int TemperatureMoves = 8,
    int BufferSize = 40_000,
    int MinBuffer = 3_000,
    int StepsPerIteration = 8,
    int BatchSize = 256,
    float LearningRate = 1e-3f,
    float WeightDecay = 1e-4f,
    float ValueWeight = 1f,
    int SnapshotEvery = 10,
    ulong Seed = 1);
