namespace Rlhf.Training.Distributed;

/// <summary>
/// The processes of one data-parallel run (SPMD: every process runs the same program on its shard of the data), and
/// the few collectives training needs. Every process must call the same collectives in the same order with the same
/// sizes; results are the same on every process. <see cref="SingleProcessGroup"/> is the run of one process (no MPI);
/// <see cref="MpiProcessGroup"/> the run that <c>mpiexec</c> started.
/// </summary>
public interface IProcessGroup : IDisposable
{
    /// <summary>This process's index, 0 … <see cref="Size"/> − 1; rank 0 writes the run's files.</summary>
    int Rank { get; }

    /// <summary>Number of processes, N.</summary>
    int Size { get; }

    /// <summary>Element-wise sum over all processes, in place: on return every process holds the same sums.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Element-wise sum over all processes, in place (double: counts, metric sums).</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Every process's <paramref name="local"/> bytes (lengths may differ), indexed by rank; the same on every process.</summary>
    byte[][] AllGather(ReadOnlySpan<byte> local);

    /// <summary>Overwrites <paramref name="values"/> on every process with <paramref name="root"/>'s (same length everywhere).</summary>
    void Broadcast(Span<byte> values, int root = 0);

    /// <summary>Returns when every process has called it.</summary>
    void Barrier();

    /// <summary>
    /// Ends the whole run now (every process, not only this one) with <paramref name="exitCode"/>, after writing
    /// <paramref name="message"/> to standard error. Used on an error that only this process saw, so that the others
    /// do not wait for it forever.
    /// </summary>
    void Abort(int exitCode, string message);
}
