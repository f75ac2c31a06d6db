namespace Rlhf.Tensors.Kernels;

/// <summary>
/// The readable scalar twin of <see cref="Gemm"/>: C (+)= op(A)·op(B) with a triple loop and a double accumulator.
/// It is the test oracle for every GEMM path and documents the exact contract. Not fast; not for production use.
/// </summary>
public static class GemmReference
{
    /// <summary>
    /// C[i, j] (+)= Σ_p op(A)[i, p] · op(B)[p, j] for i &lt; m, j &lt; n, p &lt; k.
    /// op(A) is A (m×k, row stride lda) or, with <paramref name="transA"/>, Aᵀ where A is k×m; likewise B (k×n or n×k).
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool accumulate)
    {
        Gemm.Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + (float)sum : (float)sum;
            }
        }
    }

    /// <summary>
    /// The oracle of <see cref="Gemm.MultiplyBf16"/>: C[i, j] = bias[j] + Σ_p A[i, p] · op(B)[p, j] with B in bf16
    /// (widened by <see cref="Bf16.ToFloat(ushort)"/>), C overwritten; an empty bias means none.
    /// </summary>
    public static void MultiplyBf16(bool transB, int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb,
        ReadOnlySpan<float> bias, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = bias.Length == 0 ? 0 : bias[j];
                for (int p = 0; p < k; p++)
                    sum += (double)a[i * lda + p] * Bf16.ToFloat(transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = (float)sum;
            }
        }
    }
}
