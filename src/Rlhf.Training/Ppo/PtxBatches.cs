using Rlhf.Tensors;

namespace Rlhf.Training.Ppo;

/// <summary>
/// Pretraining text for PPO-ptx (Ouyang et al. 2022, eq. 2: γ·E_{x∼D_pretrain}[log π(x)]): the tokenised text, from
/// which each minibatch draws random windows (with the run's generator) for a next-token cross-entropy term.
/// </summary>
public sealed class PtxBatches
{
    private readonly int[] _tokens;

    /// <summary>Windows of <paramref name="seqLen"/> tokens (+1 for the shifted targets) from <paramref name="tokens"/>.</summary>
    public PtxBatches(int[] tokens, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Length < 3) throw new ArgumentException($"PPO-ptx: the pretraining text has {tokens.Length} tokens; at least 3 are needed");
        _tokens = tokens;
        SeqLen = Math.Min(seqLen, tokens.Length - 1);
    }

    /// <summary>Tokens per row T.</summary>
    public int SeqLen { get; }

    /// <summary>Total tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary><paramref name="rows"/> random windows: inputs and next-token targets (each rows·T).</summary>
    public (int[] Inputs, int[] Targets) Sample(int rows, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int T = SeqLen;
        var inputs = new int[rows * T];
        var targets = new int[rows * T];
        for (int r = 0; r < rows; r++)
        {
            int start = rng.NextInt(_tokens.Length - T);
            _tokens.AsSpan(start, T).CopyTo(inputs.AsSpan(r * T, T));
            _tokens.AsSpan(start + 1, T).CopyTo(targets.AsSpan(r * T, T));
        }
        return (inputs, targets);
    }
}
