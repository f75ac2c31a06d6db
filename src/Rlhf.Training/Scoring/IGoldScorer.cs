namespace Rlhf.Training.Scoring;

/// <summary>
/// A pluggable "gold" reward: the ground truth that simulated labelers rank by and that overoptimisation runs
/// measure the policy against (Gao et al. 2022 use a large fixed RM; here it is any deterministic function).
/// </summary>
public interface IGoldScorer
{
    /// <summary>Short identifier written into logs and label files.</summary>
    string Name { get; }

    /// <summary>Gold score of <paramref name="completion"/> as an answer to <paramref name="prompt"/>; higher is better.</summary>
    double Score(string prompt, string completion);
}
