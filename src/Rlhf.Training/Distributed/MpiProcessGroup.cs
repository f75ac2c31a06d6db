namespace Rlhf.Training.Distributed;

/// <summary>
/// The processes <c>mpiexec</c> started, over MPI_COMM_WORLD (<see cref="MpiNative"/>). Collectives are MPI's
/// blocking ones, called from one thread at a time (MPI_THREAD_SERIALIZED). Every collective runs under a
/// <see cref="CollectiveWatchdog"/>: a process that waits longer than the timeout for its peers (one of them hangs, or
/// its machine is gone without the launcher noticing) ends itself with an error, which makes <c>mpiexec</c> end the
/// others. A peer that dies is normally noticed sooner by <c>mpiexec</c> itself (MPICH's Hydra kills the job).
/// </summary>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    /// <summary>Largest count one MPI call takes (its count is a C int); larger spans go in pieces.</summary>
    private const int MaxCount = 1 << 30;

    private readonly MpiNative _mpi;
    private readonly CollectiveWatchdog _watchdog;
    private bool _finalized;

    private MpiProcessGroup(MpiNative mpi, int rank, int size, TimeSpan? timeout)
    {
        (_mpi, Rank, Size) = (mpi, rank, size);
        _watchdog = new CollectiveWatchdog(rank, size, timeout);
    }

    /// <summary>
    /// Loads MPI (<see cref="MpiNative.Load"/>: <paramref name="library"/> or the MPICH names), initialises it and
    /// reads rank and size. <paramref name="collectiveTimeout"/> bounds how long one collective may wait (null: forever).
    /// </summary>
    public static MpiProcessGroup Start(string? library, TimeSpan? collectiveTimeout)
    {
        // UCX (MPICH's network layer on Debian) traps SIGSEGV/SIGBUS/SIGFPE to print its own backtrace by default;
        // the .NET runtime turns those signals into NullReferenceException and friends, so UCX must leave them alone
        // (read when the library loads)
        MpiNative.SetDefaultEnvironment("UCX_ERROR_SIGNALS", "");
        var mpi = MpiNative.Load(library);
        int initialized, provided, rank, size;
        MpiNative.Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) MpiNative.Check(mpi.InitThread(null, 0, MpiNative.ThreadSerialized, &provided), "MPI_Init_thread");
        MpiNative.Check(mpi.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank");
        MpiNative.Check(mpi.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size");
        return new MpiProcessGroup(mpi, rank, size, collectiveTimeout);
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>The MPI library in use (file name).</summary>
    public string Library => _mpi.Library;

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values)
    {
        using var watch = _watchdog.Watch("MPI_Allreduce (float)");
        for (int start = 0; start < values.Length; start += MaxCount)
        {
            int n = Math.Min(MaxCount, values.Length - start);
            fixed (float* p = values.Slice(start, n))
                MpiNative.Check(_mpi.Allreduce(MpiNative.InPlace, p, n, MpiNative.Float, MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values)
    {
        using var watch = _watchdog.Watch("MPI_Allreduce (double)");
        for (int start = 0; start < values.Length; start += MaxCount)
        {
            int n = Math.Min(MaxCount, values.Length - start);
            fixed (double* p = values.Slice(start, n))
                MpiNative.Check(_mpi.Allreduce(MpiNative.InPlace, p, n, MpiNative.Double, MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public byte[][] AllGather(ReadOnlySpan<byte> local)
    {
        using var watch = _watchdog.Watch("MPI_Allgather");
        var lengths = new int[Size];
        int mine = local.Length;
        fixed (int* l = lengths)
            MpiNative.Check(_mpi.Allgather(&mine, 1, MpiNative.Int, l, 1, MpiNative.Int, MpiNative.CommWorld), "MPI_Allgather");
        var offsets = new int[Size];
        long total = 0;
        for (int r = 0; r < Size; r++)
        {
            offsets[r] = (int)total;
            total += lengths[r];
        }
        if (total > int.MaxValue) throw new DistributedException($"AllGather: {total} bytes in all exceed one MPI message (2 GiB)");
        var all = new byte[total];
        fixed (byte* s = local)
        fixed (byte* a = all)
        fixed (int* l = lengths)
        fixed (int* o = offsets)
            MpiNative.Check(_mpi.Allgatherv(s, mine, MpiNative.Byte, a, l, o, MpiNative.Byte, MpiNative.CommWorld), "MPI_Allgatherv");
        var parts = new byte[Size][];
        for (int r = 0; r < Size; r++) parts[r] = all.AsSpan(offsets[r], lengths[r]).ToArray();
        return parts;
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        using var watch = _watchdog.Watch("MPI_Bcast");
        for (int start = 0; start < values.Length; start += MaxCount)
        {
            int n = Math.Min(MaxCount, values.Length - start);
            fixed (byte* p = values.Slice(start, n))
                MpiNative.Check(_mpi.Bcast(p, n, MpiNative.Byte, root, MpiNative.CommWorld), "MPI_Bcast");
        }
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        using var watch = _watchdog.Watch("MPI_Barrier");
        MpiNative.Check(_mpi.Barrier(MpiNative.CommWorld), "MPI_Barrier");
    }

    /// <inheritdoc/>
    public void Abort(int exitCode, string message)
    {
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        _mpi.Abort(MpiNative.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; in case it does
    }

    /// <summary>MPI_Finalize (once). Call only when every process ends normally: it waits for the others.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _watchdog.Dispose();
        _mpi.FinalizeCall();
    }
}
