namespace Rlhf.Training.Data;

/// <summary>
/// A padded SFT batch, all (B, T) row-major. <see cref="Inputs"/>: prompt ++ response tokens, right-padded with the
/// pad id. <see cref="Targets"/>: the next token where the loss applies (response tokens and the final end-of-text),
/// <see cref="SftCollator.IgnoreIndex"/> (−100) elsewhere (prompt positions, padding). <see cref="LossMask"/>: 1 where
/// the target counts, else 0 (for masked-mean losses). <see cref="Epoch"/> is the epoch the rows were drawn from.
/// </summary>
public sealed record SftBatch(int[] Inputs, int[] Targets, float[] LossMask, int BatchSize, int SeqLen, int LossTokens, int Epoch = 0)
{
    /// <summary>Non-padding input tokens (for tokens/s).</summary>
    public int RealTokens { get; init; }
}
