namespace Rlhf.Games;

/// <summary>
/// Settings of <see cref="ImitationTrainer"/> (supervised learning of the expert's moves, AlphaGo's "SL policy
/// network" step, Silver et al. 2016, with a value head trained on the game outcomes alongside).
/// </summary>
/// <param name="Hidden">Hidden width of the two-layer MLP.</param>
/// <param name="Epochs">Passes over the training positions.</param>
/// <param name="BatchSize">Positions per gradient step (the last batch of an epoch may be smaller).</param>
/// <param name="LearningRate">AdamW learning rate (constant).</param>
/// <param name="WeightDecay">AdamW decoupled weight decay on the weight matrices.</param>
/// <param name="ValueWeight">c in L = CE(policy, expert move) + c·(v − z)².</param>
/// <param name="ValidationFraction">Share of games (the last ones) held out for validation loss and accuracy.</param>
/// <param name="Seed">Seeds initialisation and the per-epoch shuffles.</param>
public sealed record ImitationConfig(
    int Hidden = 128,
    int Epochs = 6,
    int BatchSize = 256,
    float LearningRate = 1e-3f,
    float WeightDecay = 1e-4f,
    float ValueWeight = 0.5f,
    double ValidationFraction = 0.1,
    ulong Seed = 1);
