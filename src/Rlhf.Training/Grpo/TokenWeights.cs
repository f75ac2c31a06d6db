namespace Rlhf.Training.Grpo;

/// <summary>
/// Per-token weights of GRPO's loss, L = Scale · Σ_{i,t} Weights[i·L + t] · ℓ_{i,t}, over a whole batch (B·L,
/// 0 on padding), so that summing chunk losses gives exactly the full-batch loss.
/// </summary>
public sealed record TokenWeights(float[] Weights, float Scale)
{
    /// <summary>Rows <paramref name="row"/> .. <paramref name="row"/> + <paramref name="rows"/> − 1 of width <paramref name="width"/>.</summary>
    public float[] Rows(int row, int rows, int width) => Weights[(row * width)..((row + rows) * width)];
}
