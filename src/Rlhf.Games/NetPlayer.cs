using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// A player driven by a <see cref="PolicyValueNet"/>'s policy head alone (no search): greedy (argmax of the legal
/// moves' probabilities, lowest column on ties) when <see cref="Sample"/> is false, else a draw from the policy.
/// </summary>
public sealed class NetPlayer(string name, PolicyValueNet net, bool sample = false) : IPlayer
{
    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <summary>The network.</summary>
    public PolicyValueNet Net { get; } = net;

    /// <summary>Sample from the policy instead of playing its most likely move.</summary>
    public bool Sample { get; } = sample;

    /// <inheritdoc/>
    public int ChooseMove(ConnectFour position, Rng rng)
    {
        var (p, _) = Net.Evaluate(position);
        return Sample ? SampleFrom(p, rng) : Argmax(p);
    }

    /// <summary>Index of the largest probability (first on ties).</summary>
    public static int Argmax(ReadOnlySpan<float> p)
    {
        int best = 0;
        for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    /// <summary>A draw from the categorical distribution <paramref name="p"/> (inverse CDF; zero-probability entries are never drawn).</summary>
    public static int SampleFrom(ReadOnlySpan<float> p, Rng rng)
    {
        double u = rng.NextDouble(), acc = 0;
        int last = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] <= 0) continue;
            last = i;
            acc += p[i];
            if (u < acc) return i;
        }
        return last; // rounding: u above the float sum
    }
}
