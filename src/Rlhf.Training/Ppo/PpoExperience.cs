using Rlhf.Training.Rl;

namespace Rlhf.Training.Ppo;

/// <summary>
/// One iteration's rollout, ready for the PPO epochs: the sequences and, per response token (each B·L, row-major,
/// pads 0), the behaviour policy's log-probs, the critic's values, the (whitened) advantages and the returns.
/// </summary>
/// <param name="Batch">The kept samples' sequences.</param>
/// <param name="OldLogProbs">log π_old(a_t|s_t).</param>
/// <param name="OldValues">V_old(s_t).</param>
/// <param name="Advantages">Â_t.</param>
/// <param name="Returns">R_t = Â_t (before whitening) + V_old(s_t).</param>
public sealed record PpoExperience(SequenceBatch Batch, float[] OldLogProbs, float[] OldValues, float[] Advantages, float[] Returns)
{
    /// <summary>The per-token values of <paramref name="rows"/> (each <paramref name="L"/> wide) of <paramref name="source"/>, in that order.</summary>
    public static float[] Gather(float[] source, IReadOnlyList<int> rows, int L)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(rows);
        var result = new float[rows.Count * L];
        for (int i = 0; i < rows.Count; i++) Array.Copy(source, rows[i] * L, result, i * L, L);
        return result;
    }

    /// <summary>The minibatch slice of one of this experience's per-token arrays.</summary>
    public float[] Gather(float[] source, IReadOnlyList<int> rows) => Gather(source, rows, Batch.ResponseLength);
}
