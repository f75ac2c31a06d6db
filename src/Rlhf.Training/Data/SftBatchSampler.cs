namespace Rlhf.Training.Data;

/// <summary>
/// Shuffled epochs over SFT examples: the examples are fitted once (<see cref="SftCollator.Fit"/>, counts in
/// <see cref="Report"/>), then each epoch visits every kept example exactly once in a fresh seeded permutation,
/// <see cref="BatchSize"/> at a time; the last batch of an epoch holds the remainder (it may be smaller), so
/// epochs never mix. The permutation of an epoch is drawn from the generator state saved at the epoch's start,
/// which makes <see cref="GetState"/>/<see cref="Restore"/> exact: a resumed run continues with the same batches.
/// </summary>
public sealed class SftBatchSampler
{
    private readonly List<TokenizedSft> _examples;
    private readonly SftCollator _collator;
    private readonly ShuffledOrder _order;

    /// <summary>Fits <paramref name="examples"/> with <paramref name="collator"/> and starts epoch 0. Throws when no example survives.</summary>
    public SftBatchSampler(IEnumerable<TokenizedSft> examples, SftCollator collator, int batchSize, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(collator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _collator = collator;
        _examples = collator.Fit(examples, out var report);
        Report = report;
        if (_examples.Count == 0) throw new ArgumentException($"SftBatchSampler: no example left to train on ({report})", nameof(examples));
        BatchSize = batchSize;
        _order = new ShuffledOrder(_examples.Count, seed);
    }

    /// <summary>What fitting did (kept, truncated, skipped).</summary>
    public SftFitReport Report { get; }

    /// <summary>Examples per batch (the last batch of an epoch may hold fewer).</summary>
    public int BatchSize { get; }

    /// <summary>Kept examples, i.e. examples per epoch.</summary>
    public int ExampleCount => _examples.Count;

    /// <summary>Batches per epoch, ⌈ExampleCount / BatchSize⌉.</summary>
    public int BatchesPerEpoch => _order.BatchesPerEpoch(BatchSize);

    /// <summary>Current epoch (0-based).</summary>
    public int Epoch => _order.Epoch;

    /// <summary>Examples of the current epoch already handed out.</summary>
    public int Position => _order.Position;

    /// <summary>
    /// The next batch; starts a new epoch (new permutation) once the current one is used up. Under <c>mpiexec</c>, this
    /// rank's shard of the global batch (<see cref="ShuffledOrder.NextBatch"/>): an empty batch (B = 0) when it has no row.
    /// </summary>
    public SftBatch Next()
    {
        var indices = _order.NextBatch(BatchSize);
        if (indices.IsEmpty) return new SftBatch([], [], [], 0, 0, 0, _order.Epoch);
        var rows = new TokenizedSft[indices.Length];
        for (int i = 0; i < rows.Length; i++) rows[i] = _examples[indices[i]];
        return _collator.Collate(rows, _order.Epoch);
    }

    /// <summary>The complete sampler state (serializable with System.Text.Json) for a checkpoint.</summary>
    public SftSamplerState GetState() => new(_order.GetState(), BatchSize);

    /// <summary>
    /// Continues from <paramref name="state"/> (<see cref="ShuffledOrder.Restore"/>). Throws when the kept-example count
    /// or batch size differ (the batches would silently change; the same data and collator settings are needed too,
    /// which cannot be checked here).
    /// </summary>
    public void Restore(SftSamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Order);
        if (state.Order.Count != _examples.Count || state.BatchSize != BatchSize)
            throw new ArgumentException($"SftBatchSampler.Restore: state is for {state.Order.Count} examples in batches of {state.BatchSize}, "
                + $"this sampler has {_examples.Count} in batches of {BatchSize}", nameof(state));
        _order.Restore(state.Order);
    }
}

/// <summary>
/// Serializable state of an <see cref="SftBatchSampler"/>: the position in the shuffled epochs over the kept examples
/// and the batch size it was taken with.
/// </summary>
public sealed record SftSamplerState(ShuffledOrderState Order, int BatchSize);
