namespace Rlhf.Cli.Tests.Mpi;

/// <summary>
/// A test that launches <c>mpiexec</c> (MPICH, installed by <c>.ci/run</c>): skipped, saying why, only when MPICH is
/// missing and <c>RLHF_REQUIRE_MPI</c> is not 1; in CI (<c>RLHF_REQUIRE_MPI=1</c>) it runs and fails without it.
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRun.Mpiexec is null && Environment.GetEnvironmentVariable("RLHF_REQUIRE_MPI") != "1")
            Skip = "MPICH's mpiexec is not installed (apt-get install -y mpich)";
    }
}
