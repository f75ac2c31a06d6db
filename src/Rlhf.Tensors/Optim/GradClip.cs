using System.Numerics.Tensors;
using Rlhf.Tensors.Kernels;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Optim;

/// <summary>Gradient clipping by global L2 norm (torch.nn.utils.clip_grad_norm_ with norm_type 2).</summary>
public static class GradClip
{
    private const int ChunkSize = 1 << 16;
    private const int ParallelThreshold = 1 << 17;

    /// <summary>
    /// Computes the global norm ‖g‖ = √(Σ over parameters Σ g²) of all gradients (parameters with a null
    /// <see cref="Tensor.Grad"/> are skipped), accumulated in double, and when ‖g‖ &gt; <paramref name="maxNorm"/>
    /// scales every gradient by maxNorm / (‖g‖ + 1e-6). Returns the norm before clipping. A non-finite norm
    /// (NaN/∞ gradients) is returned as is and nothing is scaled, so the caller can detect it and skip the step.
    /// The sum is formed over fixed 64K-element chunks added in order, so it does not depend on the thread count.
    /// </summary>
    public static double ClipGlobalNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipGlobalNorm: maxNorm {maxNorm} must be > 0");
        var grads = new List<Tensor>();
        var chunks = new List<(int Grad, int Start, int Length)>();
        long total = 0;
        foreach (var p in parameters)
        {
            if (p?.Grad is not { } g) continue;
            if (!g.IsContiguous) throw new InvalidOperationException($"ClipGlobalNorm: gradient of '{p.Name}' is not contiguous");
            for (int s = 0; s < g.Size; s += ChunkSize) chunks.Add((grads.Count, s, Math.Min(ChunkSize, g.Size - s)));
            grads.Add(g);
            total += g.Size;
        }

        var partial = new double[chunks.Count];
        void Sum(int c)
        {
            var (gi, start, length) = chunks[c];
            partial[c] = SumOfSquares(grads[gi].Span.Slice(start, length));
        }
        if (total >= ParallelThreshold) WorkerPool.Run(chunks.Count, Sum);
        else for (int c = 0; c < chunks.Count; c++) Sum(c);
        double sumSq = 0;
        foreach (double s in partial) sumSq += s;
        double norm = Math.Sqrt(sumSq);

        if (norm > maxNorm && double.IsFinite(norm))
        {
            float scale = (float)(maxNorm / (norm + 1e-6));
            foreach (var g in grads) TensorPrimitives.Multiply(g.Span, scale, g.Span);
        }
        return norm;
    }

    /// <summary>Σ x² accumulated in double (Vector256: each float widened to double; 2 accumulators).</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> x)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            ref float r = ref MemoryMarshal.GetReference(x);
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < x.Length; i++) sum += (double)x[i] * x[i];
        return sum;
    }

    /// <summary>Scalar twin of <see cref="SumOfSquares"/> (test oracle): Σ x² in double, left to right.</summary>
    internal static double SumOfSquaresReference(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += (double)v * v;
        return sum;
    }
}
