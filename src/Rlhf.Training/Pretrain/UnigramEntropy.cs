namespace Rlhf.Training.Pretrain;

/// <summary>
/// The entropy of the token frequency distribution, H = −Σ_v p(v)·ln p(v) with p(v) = count(v) / N, in nats: the
/// cross-entropy of the best model that ignores context. A language model's validation loss well below it shows the
/// model uses context; a loss near it means it learned only token frequencies.
/// </summary>
public static class UnigramEntropy
{
    /// <summary>H in nats of <paramref name="tokens"/> (ids ≥ 0); 0 for an empty span.</summary>
    public static double Nats(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) return 0;
        int max = 0;
        foreach (int t in tokens)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t, nameof(tokens));
            if (t > max) max = t;
        }
        var counts = new long[max + 1];
        foreach (int t in tokens) counts[t]++;
        double n = tokens.Length, h = 0;
        foreach (long c in counts)
            if (c > 0) h -= c / n * Math.Log(c / n);
        return h;
    }
}
