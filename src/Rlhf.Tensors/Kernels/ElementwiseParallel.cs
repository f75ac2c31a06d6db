namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Splits element-wise work into fixed-size chunks and runs them on the <see cref="WorkerPool"/> when the work is large.
/// Chunk boundaries depend only on the element count (never on the number of threads), and each element is
/// computed by exactly one chunk, so results are bit-identical with or without threading.
/// </summary>
internal static class ElementwiseParallel
{
    /// <summary>Elements per chunk; below this count (or for one chunk) the body runs inline on the caller's thread.</summary>
    public const int Grain = 32 * 1024;

    /// <summary>Calls <paramref name="body"/>(start, length) over [0, <paramref name="count"/>) in chunks of <paramref name="grain"/>.</summary>
    public static void For(int count, Action<int, int> body, int grain = Grain)
    {
        if (count <= 0) return;
        if (count <= grain)
        {
            body(0, count);
            return;
        }
        int chunks = (count + grain - 1) / grain;
        WorkerPool.Run(chunks, c =>
        {
            int start = c * grain;
            body(start, Math.Min(grain, count - start));
        });
    }

    /// <summary>
    /// Calls <paramref name="body"/>(firstRow, rowCount) over <paramref name="rows"/> rows of <paramref name="rowLength"/>
    /// elements, grouping rows so each chunk holds about <see cref="Grain"/> elements.
    /// </summary>
    public static void ForRows(int rows, int rowLength, Action<int, int> body)
    {
        int rowsPerChunk = Math.Max(1, Grain / Math.Max(1, rowLength));
        For(rows, body, rowsPerChunk);
    }
}
