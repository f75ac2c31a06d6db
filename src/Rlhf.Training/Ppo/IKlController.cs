namespace Rlhf.Training.Ppo;

/// <summary>
/// Chooses β, the weight of the per-token KL penalty r_t = −β·(log π(a_t|s_t) − log π_ref(a_t|s_t)) that keeps the
/// policy near the reference model (Ziegler et al. 2019, §2.2; Ouyang et al. 2022, eq. 2).
/// </summary>
public interface IKlController
{
    /// <summary>The current coefficient β.</summary>
    double Beta { get; }

    /// <summary>Called once per iteration with the batch's mean sequence KL and its number of episodes.</summary>
    void Update(double meanKl, int episodes);

    /// <summary>Restores β from a checkpoint (the only state a controller has).</summary>
    void Restore(double beta);
}
