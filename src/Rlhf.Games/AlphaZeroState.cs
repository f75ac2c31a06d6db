using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>The resumable part of a self-play run besides weights, optimizer and replay buffer: iterations done, config, the RNG, and the initial network's file.</summary>
public sealed record AlphaZeroState(string Kind, int Iteration, AlphaZeroConfig Config, RngState Rng, string InitFile);
