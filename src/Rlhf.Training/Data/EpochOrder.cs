using Rlhf.Tensors;

namespace Rlhf.Training.Data;

/// <summary>
/// Shuffled epochs over <see cref="Count"/> items, <see cref="BatchSize"/> indices at a time: each epoch visits every
/// item exactly once in a fresh seeded permutation; the last batch of an epoch holds the remainder (it may be
/// smaller), so epochs never mix. The permutation of an epoch is drawn from the generator state saved at the epoch's
/// start, which makes <see cref="GetState"/>/<see cref="Restore"/> exact: a resumed run continues with the same batches.
/// </summary>
public sealed class EpochOrder
{
    private readonly Rng _rng;
    private readonly int[] _order;
    private RngState _epochStart;

    /// <summary>Starts epoch 0 over <paramref name="count"/> ≥ 1 items.</summary>
    public EpochOrder(int count, int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BatchSize = batchSize;
        _rng = new Rng(seed);
        _order = new int[count];
        _epochStart = _rng.GetState();
        Shuffle();
    }

    /// <summary>Items per epoch.</summary>
    public int Count => _order.Length;

    /// <summary>Items per batch (the last batch of an epoch may hold fewer).</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch, ⌈Count / BatchSize⌉.</summary>
    public int BatchesPerEpoch => (_order.Length + BatchSize - 1) / BatchSize;

    /// <summary>Current epoch (0-based).</summary>
    public int Epoch { get; private set; }

    /// <summary>Items of the current epoch already handed out.</summary>
    public int Position { get; private set; }

    /// <summary>The next batch's item indices; starts a new epoch (new permutation) once the current one is used up.</summary>
    public ReadOnlySpan<int> Next()
    {
        if (Position == _order.Length)
        {
            Epoch++;
            Position = 0;
            _epochStart = _rng.GetState();
            Shuffle();
        }
        int n = Math.Min(BatchSize, _order.Length - Position);
        var batch = _order.AsSpan(Position, n);
        Position += n;
        return batch;
    }

    /// <summary>The complete state (serializable with System.Text.Json) for a checkpoint.</summary>
    public EpochOrderState GetState() => new(_epochStart, Epoch, Position, _order.Length, BatchSize);

    /// <summary>
    /// Continues from <paramref name="state"/>: re-draws that epoch's permutation from its saved generator state and
    /// skips the items already used. Throws when the item count or batch size differ (the batches would silently
    /// change; that the items themselves are the same cannot be checked here).
    /// </summary>
    public void Restore(EpochOrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != _order.Length || state.BatchSize != BatchSize)
            throw new ArgumentException($"EpochOrder.Restore: state is for {state.Count} items in batches of {state.BatchSize}, "
                + $"this run has {_order.Length} in batches of {BatchSize}", nameof(state));
        if (state.Epoch < 0 || state.Position < 0 || state.Position > _order.Length)
            throw new ArgumentException($"EpochOrder.Restore: epoch {state.Epoch} / position {state.Position} out of range", nameof(state));
        _rng.SetState(state.EpochStartRng);
        _epochStart = state.EpochStartRng;
        Shuffle();
        (Epoch, Position) = (state.Epoch, state.Position);
    }

    /// <summary>A fresh permutation of all items from the generator's current state.</summary>
    private void Shuffle()
    {
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _rng.Shuffle(_order.AsSpan());
    }
}

/// <summary>
/// Serializable state of an <see cref="EpochOrder"/>: the generator state at the start of the current epoch (its
/// permutation is re-drawn from it), the epoch, how many of its items were used, and the shape it belongs to.
/// </summary>
public sealed record EpochOrderState(RngState EpochStartRng, int Epoch, int Position, int Count, int BatchSize);
