using System.Globalization;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// How many threads the engine's kernels use (<see cref="WorkerPool"/>, <see cref="Gemm.MaxThreads"/>,
/// <see cref="RowPartition"/>): <c>RLHF_THREADS</c> when set; else, when <c>mpiexec</c> started several processes on
/// this machine (<c>MPI_LOCALNRANKS</c>, set by MPICH's and Intel MPI's launchers), the cores divided among them
/// (at least 1 each), so N ranks on one machine do not oversubscribe it; else every core. Read once, at first use.
/// </summary>
public static class ThreadBudget
{
    /// <summary>Threads per process (see the class summary).</summary>
    public static int Threads { get; } = FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessorCount);

    /// <summary>The rule of <see cref="Threads"/> over an environment and a core count (testable).</summary>
    public static int FromEnvironment(Func<string, string?> getEnv, int cores)
    {
        ArgumentNullException.ThrowIfNull(getEnv);
        if (getEnv("RLHF_THREADS") is { Length: > 0 } text)
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n
                : throw new ArgumentException($"RLHF_THREADS='{text}': expected a whole number of threads ≥ 1");
        int local = int.TryParse(getEnv("MPI_LOCALNRANKS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) && l > 1 ? l : 1;
        return Math.Max(1, cores / local);
    }
}
