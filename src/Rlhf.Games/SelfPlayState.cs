using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>The resumable part of a policy-gradient self-play run besides weights and optimizer: iterations done, config, the game RNG, and the initial network's file.</summary>
public sealed record SelfPlayState(string Kind, int Iteration, SelfPlayConfig Config, RngState Rng, string InitFile);
