using Rlhf.Training.Rl;

namespace Rlhf.Training.BestOfN;

/// <summary>One of the N sampled responses to a prompt with its proxy (RM) reward, gold reward when a gold scorer is configured, ensemble spread and reward note.</summary>
public sealed record BestOfNCandidate(RolloutSample Sample, double Proxy, double? Gold = null, double? Spread = null, string? Note = null);
