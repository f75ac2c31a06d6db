namespace Rlhf.Tensors.Optim;

/// <summary>
/// Per-step scalars of one AdamW update of one parameter (t = that parameter's step, counted from 1):
/// <c>Decay = 1 − lr·wd</c> (1 when not decayed), <c>NegStepSize = −lr / (1 − β1ᵗ)</c>,
/// <c>Bc2Sqrt = √(1 − β2ᵗ)</c>; products of lr, wd and the bias corrections are formed in double, as PyTorch does
/// with Python floats, then rounded once to float.
/// </summary>
internal readonly record struct AdamWScalars(float Decay, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
    float Bc2Sqrt, float Eps, float NegStepSize)
{
    public static AdamWScalars For(double lr, double beta1, double beta2, double eps, double weightDecay, bool decay, int step) => new(
        Decay: decay ? (float)(1.0 - lr * weightDecay) : 1f,
        OneMinusBeta1: (float)(1.0 - beta1),
        Beta2: (float)beta2,
        OneMinusBeta2: (float)(1.0 - beta2),
        Bc2Sqrt: (float)Math.Sqrt(1.0 - Math.Pow(beta2, step)),
        Eps: (float)eps,
        NegStepSize: (float)(-lr / (1.0 - Math.Pow(beta1, step))));
}

/// <summary>
/// The readable scalar twin of <see cref="AdamWKernel"/> and its test oracle. Same float operations in the same
/// order as torch.optim.AdamW's single-tensor path, so the vector kernel must match it bit for bit:
/// <code>
/// p ← p·(1 − lr·wd)                      decoupled weight decay (Loshchilov &amp; Hutter)
/// m ← m + (g − m)·(1 − β1)               = β1·m + (1 − β1)·g   (torch: exp_avg.lerp_)
/// v ← v·β2 + ((1 − β2)·g)·g              (torch: exp_avg_sq.mul_.addcmul_)
/// p ← p + (−lr/(1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε)
/// </code>
/// </summary>
internal static class AdamWReference
{
    public static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamWScalars s)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float pi = p[i] * s.Decay;
            float mi = m[i] + (g[i] - m[i]) * s.OneMinusBeta1;
            float vi = v[i] * s.Beta2 + s.OneMinusBeta2 * g[i] * g[i];
            float denom = MathF.Sqrt(vi) / s.Bc2Sqrt + s.Eps;
            p[i] = pi + s.NegStepSize * mi / denom;
            m[i] = mi;
            v[i] = vi;
        }
    }
}
