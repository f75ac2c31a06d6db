using System.Runtime.InteropServices;

namespace Rlhf.Training.Distributed;

/// <summary>
/// A thin binding of the dozen MPI calls data-parallel training needs, against the MPICH ABI (MPICH ≥ 3.1, Intel MPI
/// and MS-MPI share it: handles are 32-bit integers with the constants below, from MPICH's <c>mpi.h</c>). The library is
/// loaded at run time (<see cref="NativeLibrary"/>, function pointers; nothing is loaded until <see cref="Load"/>), so
/// a process that never runs under <c>mpiexec</c> needs no MPI at all. Open MPI has another ABI (pointer handles) and
/// is refused by name. Why not the MPI.NET package: see docs/scaling.md.
/// </summary>
internal sealed unsafe class MpiNative
{
    public const int CommWorld = 0x44000000;     // MPI_COMM_WORLD
    public const int Byte = 0x4c00010d;          // MPI_BYTE
    public const int Int = 0x4c000405;           // MPI_INT
    public const int Float = 0x4c00040a;         // MPI_FLOAT
    public const int Double = 0x4c00080b;        // MPI_DOUBLE
    public const int OpSum = 0x58000003;         // MPI_SUM
    public const int ThreadSerialized = 2;       // MPI_THREAD_SERIALIZED
    public const int Success = 0;                // MPI_SUCCESS
    public static readonly nint InPlace = -1;    // MPI_IN_PLACE

    /// <summary>Library names tried in order when <c>RLHF_MPI_LIBRARY</c> is not set.</summary>
    public static readonly string[] DefaultLibraries = ["libmpich.so.12", "libmpi.so.12", "libmpich.so"];

    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, nint, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int, int*, int> CommRank;
    public readonly delegate* unmanaged<int, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, void*, int, int, int, int, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, int, int, int, int> Bcast;
    public readonly delegate* unmanaged<void*, int, int, void*, int, int, int, int> Allgather;
    public readonly delegate* unmanaged<void*, int, int, void*, int*, int*, int, int, int> Allgatherv;
    public readonly delegate* unmanaged<int, int> Barrier;
    public readonly delegate* unmanaged<int, int, int> Abort;
    public readonly delegate* unmanaged<int> FinalizeCall;

    /// <summary>The library that was loaded (its file name).</summary>
    public string Library { get; }

    private MpiNative(nint lib, string name)
    {
        Library = name;
        Initialized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(lib, "MPI_Initialized");
        InitThread = (delegate* unmanaged<int*, nint, int, int*, int>)NativeLibrary.GetExport(lib, "MPI_Init_thread");
        CommRank = (delegate* unmanaged<int, int*, int>)NativeLibrary.GetExport(lib, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<int, int*, int>)NativeLibrary.GetExport(lib, "MPI_Comm_size");
        Allreduce = (delegate* unmanaged<nint, void*, int, int, int, int, int>)NativeLibrary.GetExport(lib, "MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, int, int, int, int>)NativeLibrary.GetExport(lib, "MPI_Bcast");
        Allgather = (delegate* unmanaged<void*, int, int, void*, int, int, int, int>)NativeLibrary.GetExport(lib, "MPI_Allgather");
        Allgatherv = (delegate* unmanaged<void*, int, int, void*, int*, int*, int, int, int>)NativeLibrary.GetExport(lib, "MPI_Allgatherv");
        Barrier = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(lib, "MPI_Barrier");
        Abort = (delegate* unmanaged<int, int, int>)NativeLibrary.GetExport(lib, "MPI_Abort");
        FinalizeCall = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "MPI_Finalize");
    }

    /// <summary>
    /// Loads the MPI library: <paramref name="explicitPath"/> (from <c>RLHF_MPI_LIBRARY</c>) or the first of
    /// <see cref="DefaultLibraries"/> that loads. Throws <see cref="DistributedException"/> naming every library tried
    /// and how to install one when none loads or the one that loads is Open MPI.
    /// </summary>
    public static MpiNative Load(string? explicitPath)
    {
        var tried = new List<string>();
        foreach (string name in explicitPath is { Length: > 0 } ? [explicitPath] : DefaultLibraries)
        {
            if (!NativeLibrary.TryLoad(name, out nint lib)) { tried.Add($"{name} (not found or not loadable)"); continue; }
            if (NativeLibrary.TryGetExport(lib, "ompi_mpi_comm_world", out _))
            {
                tried.Add($"{name} (Open MPI: another ABI, not supported)");
                continue;
            }
            if (!NativeLibrary.TryGetExport(lib, "MPI_Init_thread", out _))
            {
                tried.Add($"{name} (not an MPI-2 library: no MPI_Init_thread)");
                continue;
            }
            return new MpiNative(lib, name);
        }
        throw new DistributedException("the process was started by mpiexec but no MPI library loads: tried " + string.Join(", ", tried)
            + ". Install MPICH (Debian/Ubuntu: apt-get install mpich) and launch with its mpiexec, or point RLHF_MPI_LIBRARY at an "
            + "MPICH-ABI libmpi (MPICH, Intel MPI); Open MPI is not supported");
    }

    /// <summary>
    /// Sets the native environment variable <paramref name="name"/> (seen by the MPI library's getenv, unlike
    /// <see cref="Environment.SetEnvironmentVariable(string, string)"/> on Unix) unless the user set it.
    /// </summary>
    public static void SetDefaultEnvironment(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is null) _ = SetEnv(name, value, 0);
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>Throws <see cref="DistributedException"/> naming the call when <paramref name="code"/> is not MPI_SUCCESS.</summary>
    public static void Check(int code, string call)
    {
        if (code != Success) throw new DistributedException($"{call} failed with MPI error code {code}");
    }
}
