namespace Rlhf.Tensors.Optim;

/// <summary>
/// AdamW hyperparameters.
/// <para>
/// <see cref="Beta2"/> defaults to 0.95 (PyTorch's default is 0.999), as in GPT-3 and nanoGPT: the second-moment
/// average then spans ~20 steps instead of ~1000, so v follows sudden rises of the gradient scale in transformer
/// training quickly and a burst of large gradients cannot produce a huge step against a stale, small v (fewer loss
/// spikes). <see cref="WeightDecay"/> 0.1 is the GPT-3/nanoGPT value.
/// </para>
/// </summary>
/// <param name="LearningRate">Initial learning rate (usually overwritten each step from a schedule).</param>
/// <param name="Beta1">First-moment decay: m ← β1·m + (1 − β1)·g.</param>
/// <param name="Beta2">Second-moment decay: v ← β2·v + (1 − β2)·g².</param>
/// <param name="Eps">Added to √v̂ in the denominator.</param>
/// <param name="WeightDecay">Decoupled decay: p ← p·(1 − lr·wd) for parameters selected by <paramref name="Decay"/>.</param>
/// <param name="Decay">Which parameters decay; null = rank ≥ 2 (matrices and embeddings decay; biases and LayerNorm gains do not).</param>
public sealed record AdamWConfig(
    float LearningRate = 3e-4f,
    float Beta1 = 0.9f,
    float Beta2 = 0.95f,
    float Eps = 1e-8f,
    float WeightDecay = 0.1f,
    Func<Tensor, bool>? Decay = null)
{
    /// <summary>nanoGPT's configure_optimizers rule: decay every parameter of rank ≥ 2.</summary>
    public static bool DefaultDecay(Tensor p) => p.Rank >= 2;
}
