namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Row-parallel drivers for the fused log-softmax + gather ops (cross-entropy, log-prob gathering): the forward
/// needs only each row's log-sum-exp (two passes: max, Σexp), the backward writes α·(softmax − onehot) in one
/// pass recomputing softmax = exp(x − lse) — the full log-softmax is never materialised. The per-row math lives in
/// <see cref="SoftmaxKernel"/> (scalar twin <see cref="SoftmaxReference"/>). Rows whose target is the ignore index
/// are skipped.
/// </summary>
internal static class CrossEntropyKernel
{
    /// <summary>lse[r] = logsumexp(x row r) for rows with targets[r] ≠ ignoreIndex (others untouched).</summary>
    public static void LogSumExpRows(float[] x, int xo, int rows, int V, int[] targets, int ignoreIndex, float[] lse)
    {
        RowPartition.For(rows, 3L * V, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                if (targets[r] != ignoreIndex) lse[r] = SoftmaxKernel.LogSumExp(x.AsSpan(xo + r * V, V), FastExp.Prefer512);
        });
    }

    /// <summary>dx row r += alpha[r]·(softmax(x row r) − onehot(targets[r])) for non-ignored rows with alpha[r] ≠ 0.</summary>
    public static void SoftmaxMinusOneHotRows(float[] x, int xo, int rows, int V, int[] targets, int ignoreIndex, float[] lse,
        float[] alpha, float[] dx, int dxo)
    {
        RowPartition.For(rows, 4L * V, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                if (targets[r] == ignoreIndex || alpha[r] == 0f) continue;
                var d = dx.AsSpan(dxo + r * V, V);
                SoftmaxKernel.ExpAxpy(x.AsSpan(xo + r * V, V), lse[r], alpha[r], d, FastExp.Prefer512);
                d[targets[r]] -= alpha[r];
            }
        });
    }

    /// <summary>
    /// x row r ← alpha[r]·(softmax(x row r) − onehot(targets[r])) in place, given lse[r] = logsumexp(x row r); rows
    /// ignored or with alpha[r] = 0 become zeros. Same bits as <see cref="SoftmaxMinusOneHotRows"/> into a zeroed
    /// buffer, without the second (rows × V) buffer or its clearing pass.
    /// </summary>
    public static void SoftmaxMinusOneHotRowsInPlace(float[] x, int rows, int V, int[] targets, int ignoreIndex, float[] lse, float[] alpha)
    {
        RowPartition.For(rows, 4L * V, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var row = x.AsSpan(r * V, V);
                if (targets[r] == ignoreIndex || alpha[r] == 0f) { row.Clear(); continue; }
                SoftmaxKernel.ExpScale(row, lse[r], alpha[r], row, FastExp.Prefer512);
                row[targets[r]] -= alpha[r];
            }
        });
    }

    /// <summary>Throws unless every target is <paramref name="ignoreIndex"/> or in [0, V); names op, position, target and V.</summary>
    public static void ValidateTargets(string op, int[] targets, int V, int? ignoreIndex)
    {
        for (int i = 0; i < targets.Length; i++)
        {
            int t = targets[i];
            if ((uint)t >= (uint)V && t != ignoreIndex)
                throw new ArgumentOutOfRangeException(nameof(targets),
                    $"{op}: target {t} at position {i} is out of range for V = {V}{(ignoreIndex is int ii ? $" (and is not the ignore index {ii})" : "")}");
        }
    }
}
