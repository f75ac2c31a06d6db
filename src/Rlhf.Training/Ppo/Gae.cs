namespace Rlhf.Training.Ppo;

/// <summary>
/// Generalized Advantage Estimation (Schulman et al. 2015, "High-Dimensional Continuous Control Using Generalized
/// Advantage Estimation", eq. 16) over right-padded (B, L) token rows, row b having <c>lengths[b]</c> real tokens:
/// <code>
/// δ_t = r_t + γ·V_{t+1} − V_t          (V_{t+1} = 0 after the row's last token: the episode ends)
/// Â_t = δ_t + γλ·Â_{t+1}             (computed backwards, Â_len = 0)
/// R_t = Â_t + V_t                     (the value targets, "returns")
/// </code>
/// Pad positions get Â = R = 0. λ = 1 gives Monte-Carlo returns minus V, λ = 0 the one-step TD error.
/// </summary>
public static class Gae
{
    /// <summary>Advantages and returns (each B·L, row-major) of per-token rewards and values (B·L).</summary>
    public static (float[] Advantages, float[] Returns) Compute(ReadOnlySpan<float> rewards, ReadOnlySpan<float> values,
        ReadOnlySpan<int> lengths, int responseLength, float gamma, float lambda)
    {
        int B = lengths.Length, L = responseLength;
        if (rewards.Length != B * L || values.Length != B * L)
            throw new ArgumentException($"Gae: rewards {rewards.Length} and values {values.Length} must both be B·L = {B}·{L}");
        var advantages = new float[B * L];
        var returns = new float[B * L];
        for (int b = 0; b < B; b++)
        {
            int n = lengths[b], o = b * L;
            if ((uint)n > (uint)L) throw new ArgumentException($"Gae: row {b} length {n} is outside [0, {L}]");
            double next = 0, running = 0;  // V_{t+1} and Â_{t+1}, in double so long rows do not drift
            for (int t = n - 1; t >= 0; t--)
            {
                double delta = rewards[o + t] + gamma * next - values[o + t];
                running = delta + gamma * lambda * running;
                advantages[o + t] = (float)running;
                returns[o + t] = (float)(running + values[o + t]);
                next = values[o + t];
            }
        }
        return (advantages, returns);
    }

    /// <summary>
    /// Whitens <paramref name="x"/> in place over the entries where <paramref name="mask"/> is 1: x ← (x − μ)/√(σ² + 1e-8),
    /// σ² the unbiased variance (TRL <c>masked_whiten</c>); masked entries are set to 0. Fewer than 2 entries: centred only.
    /// </summary>
    public static void Whiten(Span<float> x, ReadOnlySpan<float> mask)
    {
        if (x.Length != mask.Length) throw new ArgumentException($"Gae.Whiten: {x.Length} values but {mask.Length} mask entries");
        double sum = 0, n = 0;
        for (int i = 0; i < x.Length; i++) if (mask[i] != 0) { sum += x[i]; n++; }
        if (n == 0) return;
        double mean = sum / n, sq = 0;
        for (int i = 0; i < x.Length; i++) if (mask[i] != 0) sq += (x[i] - mean) * (x[i] - mean);
        double scale = n >= 2 ? 1 / Math.Sqrt(sq / (n - 1) + 1e-8) : 1;
        for (int i = 0; i < x.Length; i++) x[i] = mask[i] != 0 ? (float)((x[i] - mean) * scale) : 0f;
    }
}
