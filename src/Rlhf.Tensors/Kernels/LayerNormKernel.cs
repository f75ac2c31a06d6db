using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Fused LayerNorm row kernels (llm.c layernorm_forward / layernorm_backward), Vector256 with scalar tails.
/// Scalar twin: <see cref="LayerNormReference"/> (also the fallback without SIMD hardware).
/// </summary>
internal static class LayerNormKernel
{
    /// <summary>
    /// y = (x − μ)·rstd·γ + β with μ = mean(x), rstd = 1/√(var(x) + eps) (biased variance, two-pass for accuracy).
    /// Returns μ and rstd for the backward pass.
    /// </summary>
    public static (float Mean, float Rstd) ForwardRow(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, Span<float> y)
    {
        if (!FastExp.Has256) return LayerNormReference.ForwardRow(x, gamma, beta, eps, y);
        int n = x.Length, i = 0;
        float mean = TensorPrimitives.Sum(x) / n;
        ref float px = ref MemoryMarshal.GetReference(x);
        var vm = Vector256.Create(mean);
        var acc = Vector256<float>.Zero;
        for (; i <= n - 8; i += 8)
        {
            var d = Vector256.LoadUnsafe(ref px, (nuint)i) - vm;
            acc = Vector256.FusedMultiplyAdd(d, d, acc);
        }
        float var = Vector256.Sum(acc);
        for (; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
        float rstd = 1f / MathF.Sqrt(var / n + eps);

        ref float pg = ref MemoryMarshal.GetReference(gamma);
        ref float pb = ref MemoryMarshal.GetReference(beta);
        ref float py = ref MemoryMarshal.GetReference(y);
        var vr = Vector256.Create(rstd);
        for (i = 0; i <= n - 8; i += 8)
        {
            var norm = (Vector256.LoadUnsafe(ref px, (nuint)i) - vm) * vr;
            Vector256.FusedMultiplyAdd(norm, Vector256.LoadUnsafe(ref pg, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i))
                .StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) y[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
        return (mean, rstd);
    }

    /// <summary>
    /// With x̂ = (x − μ)·rstd and g = dy⊙γ: dγ += dy⊙x̂, dβ += dy, and (unless <paramref name="dx"/> is empty)
    /// dx += rstd·(g − mean(g) − x̂·mean(g⊙x̂)). Two passes over the row.
    /// </summary>
    public static void BackwardRow(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma, float mean, float rstd,
        Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        if (!FastExp.Has256) { LayerNormReference.BackwardRow(x, dy, gamma, mean, rstd, dx, dgamma, dbeta); return; }
        int n = x.Length, i = 0;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pdy = ref MemoryMarshal.GetReference(dy);
        ref float pg = ref MemoryMarshal.GetReference(gamma);
        ref float pdg = ref MemoryMarshal.GetReference(dgamma);
        ref float pdb = ref MemoryMarshal.GetReference(dbeta);
        var vm = Vector256.Create(mean); var vr = Vector256.Create(rstd);
        var acc1 = Vector256<float>.Zero; var acc2 = Vector256<float>.Zero;
        for (; i <= n - 8; i += 8)
        {
            var norm = (Vector256.LoadUnsafe(ref px, (nuint)i) - vm) * vr;
            var d = Vector256.LoadUnsafe(ref pdy, (nuint)i);
            var g = d * Vector256.LoadUnsafe(ref pg, (nuint)i);
            acc1 += g;
            acc2 = Vector256.FusedMultiplyAdd(g, norm, acc2);
            Vector256.FusedMultiplyAdd(d, norm, Vector256.LoadUnsafe(ref pdg, (nuint)i)).StoreUnsafe(ref pdg, (nuint)i);
            (Vector256.LoadUnsafe(ref pdb, (nuint)i) + d).StoreUnsafe(ref pdb, (nuint)i);
        }
        float sum1 = Vector256.Sum(acc1), sum2 = Vector256.Sum(acc2);
        for (; i < n; i++)
        {
            float norm = (x[i] - mean) * rstd, g = dy[i] * gamma[i];
            sum1 += g;
            sum2 += g * norm;
            dgamma[i] += dy[i] * norm;
            dbeta[i] += dy[i];
        }
        if (dx.IsEmpty) return;

        float mean1 = sum1 / n, mean2 = sum2 / n;
        ref float pdx = ref MemoryMarshal.GetReference(dx);
        var vm1 = Vector256.Create(mean1); var vm2 = Vector256.Create(mean2);
        for (i = 0; i <= n - 8; i += 8)
        {
            var norm = (Vector256.LoadUnsafe(ref px, (nuint)i) - vm) * vr;
            var g = Vector256.LoadUnsafe(ref pdy, (nuint)i) * Vector256.LoadUnsafe(ref pg, (nuint)i);
            var t = g - vm1 - norm * vm2;
            Vector256.FusedMultiplyAdd(t, vr, Vector256.LoadUnsafe(ref pdx, (nuint)i)).StoreUnsafe(ref pdx, (nuint)i);
        }
        for (; i < n; i++)
        {
            float norm = (x[i] - mean) * rstd, g = dy[i] * gamma[i];
            dx[i] += (g - mean1 - norm * mean2) * rstd;
        }
    }
}
