namespace Rlhf.Training.Ppo;

/// <summary>A constant β (TRL's later PPO, OpenRLHF's and verl's default; InstructGPT used β = 0.02).</summary>
public sealed class FixedKlController(double beta) : IKlController
{
    /// <inheritdoc/>
    public double Beta { get; private set; } = beta;

    /// <inheritdoc/>
    public void Update(double meanKl, int episodes) { }

    /// <inheritdoc/>
    public void Restore(double beta) => Beta = beta;
}
