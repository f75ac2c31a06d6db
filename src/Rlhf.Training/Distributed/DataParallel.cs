namespace Rlhf.Training.Distributed;

/// <summary>
/// The data-parallel run this process belongs to, for the shared training pieces: the loop (only rank 0 writes),
/// the optimizer step (gradients summed over ranks) and the batch samplers (each rank its contiguous shard of every
/// global batch). One process (<see cref="SingleProcessGroup"/>, the default) changes nothing anywhere.
/// <para>
/// <b>Shares.</b> A step's loss is a mean over the global batch; each rank computes the mean over its own shard. So
/// that the summed gradient is the single-process gradient, rank r's gradient is weighted by its share of the global
/// loss, w_r (Σ_r w_r = 1): the fraction of the batch's items (pairs, examples) or counted tokens it holds. The sampler
/// that hands out the shard sets <see cref="LocalShare"/> to the item fraction; a step whose loss is a token mean
/// replaces it with the token fraction (<see cref="Common.TrainStep"/>); a method whose ranks each compute a part of a
/// global sum sets 1. The optimizer step takes it (and clears it): Σ_r w_r·g_r. Metrics averaged over ranks use the
/// same weights (<see cref="StepMetrics"/>). Unset, every rank counts 1/N (ranks that each ran the whole batch).
/// </para>
/// </summary>
public static class DataParallel
{
    private static IProcessGroup _world = SingleProcessGroup.Instance;

    /// <summary>This run's processes; <see cref="SingleProcessGroup.Instance"/> unless <see cref="Use"/> installed another.</summary>
    public static IProcessGroup World => _world;

    /// <summary>True on the process that writes the run's files (metrics, checkpoints, samples, logs): rank 0.</summary>
    public static bool IsRoot => _world.Rank == 0;

    /// <summary>True when the run has more than one process.</summary>
    public static bool IsDistributed => _world.Size > 1;

    /// <summary>
    /// This rank's weight in the current step's global loss (see the class summary); null: not set this step (1/N).
    /// Set by the samplers when they hand out a shard and by steps that know better; consumed by
    /// <see cref="Common.OptimizerStep.ClipAndUpdate"/>. Only read and written when the run is distributed.
    /// </summary>
    public static double? LocalShare { get; set; }

    /// <summary>
    /// Installs <paramref name="group"/> as <see cref="World"/> for this process (the CLI does it once at start, from
    /// <see cref="LaunchEnvironment"/>); disposing the result puts back the previous one.
    /// </summary>
    public static IDisposable Use(IProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var previous = _world;
        _world = group;
        LocalShare = null;
        return new Restore(previous);
    }

    /// <summary>This rank's contiguous part of <paramref name="count"/> items: [⌊count·r/N⌋, ⌊count·(r+1)/N⌋).</summary>
    public static (int Start, int Count) ShardOf(int count) => ShardOf(count, _world.Rank, _world.Size);

    /// <summary>Rank <paramref name="rank"/>'s contiguous part of <paramref name="count"/> items over <paramref name="size"/> ranks; sizes differ by at most one.</summary>
    public static (int Start, int Count) ShardOf(int count, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, size);
        int start = (int)((long)count * rank / size), end = (int)((long)count * (rank + 1) / size);
        return (start, end - start);
    }

    /// <summary>
    /// This rank's shard of a global batch of <paramref name="count"/> items, and <see cref="LocalShare"/> set to its
    /// fraction of them. One process: the whole batch, nothing set.
    /// </summary>
    public static (int Start, int Count) TakeShard(int count)
    {
        if (!IsDistributed) return (0, count);
        var shard = ShardOf(count);
        LocalShare = count == 0 ? 0 : (double)shard.Count / count;
        return shard;
    }

    private sealed class Restore(IProcessGroup previous) : IDisposable
    {
        public void Dispose()
        {
            _world = previous;
            LocalShare = null;
        }
    }
}
