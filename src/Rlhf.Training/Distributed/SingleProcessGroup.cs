namespace Rlhf.Training.Distributed;

/// <summary>The run of one process: rank 0 of 1, every collective is the identity. No MPI is loaded.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    /// <summary>The one instance.</summary>
    public static readonly SingleProcessGroup Instance = new();

    private SingleProcessGroup() { }

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) { }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) { }

    /// <inheritdoc/>
    public byte[][] AllGather(ReadOnlySpan<byte> local) => [local.ToArray()];

    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root = 0) => ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);

    /// <inheritdoc/>
    public void Barrier() { }

    /// <inheritdoc/>
    public void Abort(int exitCode, string message)
    {
        Console.Error.WriteLine(message);
        Environment.Exit(exitCode);
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
