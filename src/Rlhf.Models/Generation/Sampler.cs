using System.Numerics.Tensors;
using Rlhf.Tensors;

namespace Rlhf.Models.Generation;

/// <summary>
/// Picks the next token from one row of logits: temperature, then top-k, then top-p (nucleus) filtering, then a
/// multinomial draw from a seeded <see cref="Rng"/> (greedy argmax when temperature is 0), among the ids below
/// <see cref="GenerationConfig.VocabularyLimit"/> when it is set. Also returns the token's log-probability under
/// softmax(logits / temperature) without the filters.
/// </summary>
public static class Sampler
{
    /// <summary>Samples a token id from <paramref name="logits"/> (V); <paramref name="scratch"/> needs V floats.</summary>
    public static (int Token, float LogProb) Sample(ReadOnlySpan<float> logits, GenerationConfig config, Rng rng, Span<float> scratch)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        int V = logits.Length;
        if (V == 0) throw new ArgumentException("Sampler: empty logits");
        float temperature = config.Temperature == 0 ? 1f : config.Temperature;

        // log-softmax of logits / T (stable): logp_i = z_i − max − log Σ exp(z_j − max), with z = logits / T
        var z = scratch[..V];
        TensorPrimitives.Divide(logits, temperature, z);
        float max = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, max, z);
        float logZ = max + MathF.Log(TensorPrimitives.Sum(ExpInPlace(z)));
        int limit = config.VocabularyLimit > 0 && config.VocabularyLimit < V ? config.VocabularyLimit : V;
        int token;
        if (config.Temperature == 0)
        {
            token = 0;
            for (int i = 1; i < limit; i++) if (logits[i] > logits[token]) token = i;
        }
        else
        {
            var p = scratch[..V]; // holds exp(z − max): unnormalised probabilities (the filters and the draw need no normalisation)
            if (limit < V) p[limit..].Clear();
            if (config.TopK > 0 && config.TopK < V) KeepTopK(p, config.TopK);
            if (config.TopP < 1f) KeepTopP(p, config.TopP);
            token = Draw(p, rng);
        }
        return (token, logits[token] / temperature - logZ);
    }

    private static Span<float> ExpInPlace(Span<float> x)
    {
        TensorPrimitives.Exp(x, x);
        return x;
    }

    /// <summary>Zeroes all but the k largest probabilities (ties at the threshold are kept).</summary>
    private static void KeepTopK(Span<float> p, int k)
    {
        var sorted = p.ToArray();
        Array.Sort(sorted);
        float threshold = sorted[^k];
        for (int i = 0; i < p.Length; i++) if (p[i] < threshold) p[i] = 0f;
    }

    /// <summary>Keeps the smallest set of most probable tokens whose mass reaches <paramref name="topP"/> (HF semantics: the token crossing the threshold is kept).</summary>
    private static void KeepTopP(Span<float> p, float topP)
    {
        var order = new int[p.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var values = p.ToArray();
        Array.Sort(values, order);                 // ascending
        double total = 0;
        foreach (float v in values) total += v;
        double cumulative = 0;
        bool cut = false;
        for (int r = order.Length - 1; r >= 0; r--)
        {
            if (cut) p[order[r]] = 0f;
            cumulative += values[r];
            if (cumulative >= topP * total) cut = true;
        }
    }

    /// <summary>Multinomial draw proportional to <paramref name="p"/> (need not be normalised).</summary>
    private static int Draw(ReadOnlySpan<float> p, Rng rng)
    {
        double total = 0;
        foreach (float v in p) total += v;
        double u = rng.NextDouble() * total, acc = 0;
        int last = -1;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] <= 0) continue;
            last = i;
            acc += p[i];
            if (u < acc) return i;
        }
        return last >= 0 ? last : 0;
    }
}
