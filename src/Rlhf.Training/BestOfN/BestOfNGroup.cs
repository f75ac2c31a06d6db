using Rlhf.Training.Rl;
using Rlhf.Data.Prompts;

namespace Rlhf.Training.BestOfN;

/// <summary>A prompt's N candidates and the index of the proxy's best one (the first among equal scores).</summary>
public sealed record BestOfNGroup(RlPrompt Prompt, IReadOnlyList<BestOfNCandidate> Candidates, int BestIndex)
{
    /// <summary>The selected candidate.</summary>
    public BestOfNCandidate Best => Candidates[BestIndex];
}
