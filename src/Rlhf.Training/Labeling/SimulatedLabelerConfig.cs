namespace Rlhf.Training.Labeling;

/// <summary>
/// Noise model of a <see cref="SimulatedLabeler"/>. Utilities are u_i = (gold_i + LengthBias·len_i/100) / Temperature,
/// with len_i the completion's length in characters.
/// </summary>
/// <param name="Temperature">Labeler noise; 0 gives the deterministic sort by biased gold score. Must be ≥ 0.</param>
/// <param name="LengthBias">Gold-score bonus per 100 characters (the well-known human bias towards longer answers).</param>
/// <param name="Model"><see cref="PlackettLuce"/> ("plackett-luce") or <see cref="BradleyTerry"/> ("bradley-terry").</param>
public sealed record SimulatedLabelerConfig(double Temperature = 0.1, double LengthBias = 0, string Model = SimulatedLabelerConfig.PlackettLuce)
{
    /// <summary>Sequential softmax choice of the best remaining completion.</summary>
    public const string PlackettLuce = "plackett-luce";

    /// <summary>Independent pairwise comparisons, ranked by wins.</summary>
    public const string BradleyTerry = "bradley-terry";
}
