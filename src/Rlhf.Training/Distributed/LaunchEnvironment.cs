using System.Globalization;

namespace Rlhf.Training.Distributed;

/// <summary>
/// How this process was launched: by <c>mpiexec</c> (MPICH's Hydra sets <c>PMI_RANK</c>/<c>PMI_SIZE</c>, Intel MPI
/// the same) with N &gt; 1 processes → an <see cref="MpiProcessGroup"/>; otherwise (no launcher, or N = 1) the
/// <see cref="SingleProcessGroup"/>, and no MPI library is touched. Settings from the environment:
/// <c>RLHF_MPI_LIBRARY</c> (the MPI library to load), <c>RLHF_MPI_TIMEOUT</c> (seconds one collective may wait for
/// the other processes before this one gives up; default 600, 0: forever).
/// </summary>
public static class LaunchEnvironment
{
    /// <summary>Default bound on one collective's wait, in seconds.</summary>
    public const double DefaultTimeoutSeconds = 600;

    /// <summary>
    /// The process group this process belongs to (see the class summary). Throws <see cref="DistributedException"/>
    /// when a launcher started several processes but MPI cannot be used (no library, Open MPI's launcher, bad setting).
    /// </summary>
    public static IProcessGroup Start(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        if (Integer(getEnv, "OMPI_COMM_WORLD_SIZE") is > 1)
            throw new DistributedException("the process was started by Open MPI's mpiexec; rlhf speaks the MPICH ABI: launch it with MPICH's mpiexec "
                + "(Debian/Ubuntu: apt-get install mpich; mpiexec.mpich -n N rlhf …)");
        int size = Integer(getEnv, "PMI_SIZE") ?? 1;
        if (size <= 1) return SingleProcessGroup.Instance;
        var group = MpiProcessGroup.Start(getEnv("RLHF_MPI_LIBRARY"), Timeout(getEnv));
        if (group.Size != size)
        {
            int seen = group.Size;
            group.Dispose();
            throw new DistributedException($"mpiexec started {size} processes (PMI_SIZE) but MPI_COMM_WORLD has {seen}: the MPI library "
                + $"({group.Library}) does not belong to this mpiexec; use the mpiexec of the same MPI");
        }
        return group;
    }

    /// <summary>Processes of this run on this machine (<c>MPI_LOCALNRANKS</c>; 1 when not launched by mpiexec).</summary>
    public static int LocalProcesses(Func<string, string?>? getEnv = null) =>
        Math.Max(1, Integer(getEnv ?? Environment.GetEnvironmentVariable, "MPI_LOCALNRANKS") ?? 1);

    /// <summary><c>RLHF_MPI_TIMEOUT</c> in seconds (default <see cref="DefaultTimeoutSeconds"/>); 0 or less: no bound.</summary>
    public static TimeSpan? Timeout(Func<string, string?> getEnv)
    {
        ArgumentNullException.ThrowIfNull(getEnv);
        string? text = getEnv("RLHF_MPI_TIMEOUT");
        if (string.IsNullOrWhiteSpace(text)) return TimeSpan.FromSeconds(DefaultTimeoutSeconds);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || double.IsNaN(seconds))
            throw new DistributedException($"RLHF_MPI_TIMEOUT='{text}': expected a number of seconds (0: no limit)");
        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
    }

    private static int? Integer(Func<string, string?> getEnv, string name)
    {
        string? text = getEnv(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
            : throw new DistributedException($"{name}='{text}': expected an integer");
    }
}
