using Rlhf.Training.Distributed;

namespace Rlhf.Cli;

/// <summary>
/// The process entry under <c>mpiexec</c>: <c>mpiexec -n N rlhf &lt;verb&gt; …</c> runs the verb SPMD, one rank per
/// process (<see cref="LaunchEnvironment"/>; without mpiexec, or with N = 1, this is just <see cref="CliApp.Run"/> and no
/// MPI is loaded). Only rank 0 writes to standard output (the others' is discarded; errors are not); a rank that fails
/// ends the whole job (MPI_Abort) so that no peer waits for it forever; a run that ends normally calls MPI_Finalize.
/// </summary>
public static class DistributedLaunch
{
    /// <summary>
    /// The verbs that run under mpiexec: the trainers data-parallel (each rank trains on its shard of every global
    /// batch), the samplers sharded by prompt (each rank samples its shard, rank 0 writes everything).
    /// </summary>
    public static readonly IReadOnlyList<string> DataParallelVerbs = ["pretrain", "sft", "rm train", "dpo", "grpo", "ppo", "generate", "bon"];

    /// <summary>Runs <paramref name="args"/> as this process's rank; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        IProcessGroup world;
        try { world = LaunchEnvironment.Start(); }
        catch (DistributedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        if (world.Size == 1) return CliApp.Run(args);

        using var use = DataParallel.Use(world);
        string verb = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "";
        if (args.Length > 1 && DataParallelVerbs.Contains($"{args[0]} {args[1]}")) verb = $"{args[0]} {args[1]}"; // a verb with a sub-verb
        bool help = args.Any(a => a is "--help" or "-h" or "-?");
        if (!help && !DataParallelVerbs.Contains(verb))
        {
            if (world.Rank == 0)
                Console.Error.WriteLine($"error: 'rlhf {verb}' does not run under mpiexec with {world.Size} processes; the data-parallel verbs are "
                    + $"{string.Join(", ", DataParallelVerbs)} (run other verbs as one process)");
            world.Dispose();
            return 2;
        }
        if (world.Rank != 0) Console.SetOut(TextWriter.Null);
        int code;
        try { code = CliApp.Run(args); }
        catch (Exception e) // CliApp reports what a verb throws; this is the last line of defence
        {
            world.Abort(1, $"error: rank {world.Rank} of {world.Size}: {e.Message}");
            return 1;
        }
        // a stop signal (Ctrl+C, SIGTERM) on any rank stops every rank after the same step with a checkpoint (the
        // training loop agrees on it), so they all end normally; any other failure ends the job
        if (code is not 0 and not Commands.CommandSupport.StoppedExitCode)
            world.Abort(code, $"error: rank {world.Rank} of {world.Size} failed (exit code {code}); ending the other processes");
        world.Dispose();
        return code;
    }
}
