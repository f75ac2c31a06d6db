namespace Rlhf.Training.Data;

/// <summary>
/// A batch of packed language-model windows: <see cref="Inputs"/> (B, T) and <see cref="Targets"/> (B, T), row-major,
/// with <c>Targets[b, t] = Inputs[b, t + 1]</c> for t &lt; T − 1 and <c>Targets[b, T − 1]</c> the token after the window.
/// </summary>
public sealed record TokenBatch(int[] Inputs, int[] Targets, int BatchSize, int SeqLen)
{
    /// <summary>Tokens predicted in this batch, B·T (for tokens/s).</summary>
    public int TokenCount => BatchSize * SeqLen;
}
