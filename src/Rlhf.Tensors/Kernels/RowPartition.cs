namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Splits independent rows over threads when the work is large. Each row is processed by exactly one thread with
/// the same code as in the sequential path, so results are bit-identical whatever the thread count.
/// </summary>
internal static class RowPartition
{
    /// <summary>Below this many element-operations the work runs on the calling thread (thread start-up costs more).</summary>
    public const long MinParallelWork = 1 << 16;

    /// <summary>Calls <paramref name="body"/>(lo, hi) over disjoint row ranges covering [0, <paramref name="rows"/>).</summary>
    public static void For(int rows, long workPerRow, Action<int, int> body)
    {
        int threads = Math.Min(ThreadBudget.Threads, rows);
        if (threads <= 1 || rows * workPerRow < MinParallelWork)
        {
            body(0, rows);
            return;
        }
        int chunks = Math.Min(rows, threads * 4); // a few chunks per thread evens out stragglers
        WorkerPool.Run(chunks, c => body((int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks)));
    }

    /// <summary>
    /// Calls <paramref name="body"/>(start, length) over fixed 4096-element blocks of [0, <paramref name="n"/>),
    /// in parallel when large (elementwise kernels). Block boundaries do not depend on the thread count.
    /// </summary>
    public static void Blocks(int n, Action<int, int> body)
    {
        const int block = 4096;
        int blocks = (n + block - 1) / block;
        For(blocks, 16L * block, (b0, b1) =>
        {
            for (int b = b0; b < b1; b++) body(b * block, Math.Min(block, n - b * block));
        });
    }
}
