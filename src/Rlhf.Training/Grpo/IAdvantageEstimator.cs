namespace Rlhf.Training.Grpo;

/// <summary>
/// Turns the rewards of groups of samples (several responses to one prompt) into per-sample advantages; every token
/// of a response gets its sample's advantage. The baseline comes from the group itself, so no value model is needed.
/// </summary>
public interface IAdvantageEstimator
{
    /// <summary>Short name for logs.</summary>
    string Name { get; }

    /// <summary>
    /// Advantages for <paramref name="rewards"/>, where <paramref name="groups"/>[i] is sample i's group (its prompt).
    /// Groups may have different sizes (bad samples are dropped before); a group of one gets advantage 0.
    /// </summary>
    double[] Compute(IReadOnlyList<double> rewards, IReadOnlyList<int> groups);
}
