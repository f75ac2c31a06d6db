using Rlhf.Training.Rl;

namespace Rlhf.Training.Dpo;

/// <summary>
/// n pairs laid out for one forward pass (TRL's concatenated forward): <see cref="Sequences"/> holds 2n rows, the
/// chosen responses in rows 0..n−1 and the rejected ones in rows n..2n−1, and the cached reference sequence
/// log-probabilities of each pair's two responses.
/// </summary>
/// <param name="Sequences">2n rows: chosen, then rejected.</param>
/// <param name="ReferenceChosen">log π_ref(y⁺|x) per pair (n).</param>
/// <param name="ReferenceRejected">log π_ref(y⁻|x) per pair (n).</param>
public sealed record DpoBatch(SequenceBatch Sequences, double[] ReferenceChosen, double[] ReferenceRejected)
{
    /// <summary>Loss weight per pair (n; a labeler's quality weight), or null when every pair weighs 1.</summary>
    public float[]? Weights { get; init; }

    /// <summary>Pairs n.</summary>
    public int Pairs => ReferenceChosen.Length;

    /// <summary>Real tokens in the batch (prompt + response, both rows of each pair).</summary>
    public int RealTokens => Sequences.AttentionMask.Count(m => m);
}
