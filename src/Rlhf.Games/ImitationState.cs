namespace Rlhf.Games;

/// <summary>The resumable part of an imitation run besides weights and optimizer: steps done and the config they were done with (the data order is a function of seed and epoch).</summary>
public sealed record ImitationState(string Kind, int Step, ImitationConfig Config);
