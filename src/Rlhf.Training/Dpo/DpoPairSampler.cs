using Rlhf.Tensors;

namespace Rlhf.Training.Dpo;

/// <summary>
/// Shuffled epochs over pair indices, <see cref="BatchSize"/> at a time; the last batch of an epoch holds the
/// remainder. Each epoch's permutation is drawn from the generator state saved at the epoch's start, so
/// <see cref="GetState"/>/<see cref="Restore"/> continue with exactly the same batches (as <c>SftBatchSampler</c>).
/// </summary>
public sealed class DpoPairSampler
{
    private readonly Rng _rng;
    private readonly int[] _order;
    private RngState _epochStart;

    /// <summary>A sampler over <paramref name="pairCount"/> pairs (≥ 1), starting epoch 0.</summary>
    public DpoPairSampler(int pairCount, int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        (BatchSize, _rng, _order) = (batchSize, new Rng(seed), new int[pairCount]);
        _epochStart = _rng.GetState();
        Shuffle();
    }

    /// <summary>Pairs per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => (_order.Length + BatchSize - 1) / BatchSize;

    /// <summary>Current epoch (0-based).</summary>
    public int Epoch { get; private set; }

    /// <summary>Pairs of the current epoch already handed out.</summary>
    public int Position { get; private set; }

    /// <summary>The next batch of pair indices.</summary>
    public int[] Next()
    {
        if (Position == _order.Length)
        {
            (Epoch, Position) = (Epoch + 1, 0);
            _epochStart = _rng.GetState();
            Shuffle();
        }
        int n = Math.Min(BatchSize, _order.Length - Position);
        var batch = _order.AsSpan(Position, n).ToArray();
        Position += n;
        return batch;
    }

    /// <summary>The state for a checkpoint.</summary>
    public DpoSamplerState GetState() => new(_epochStart, Epoch, Position, _order.Length, BatchSize);

    /// <summary>Continues from <paramref name="state"/>; throws <see cref="ArgumentException"/> when it belongs to other data or batch size.</summary>
    public void Restore(DpoSamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.PairCount != _order.Length || state.BatchSize != BatchSize)
            throw new ArgumentException($"the checkpoint is for {state.PairCount} pairs in batches of {state.BatchSize}, this run has {_order.Length} in batches of {BatchSize}");
        if (state.Epoch < 0 || state.Position < 0 || state.Position > _order.Length)
            throw new ArgumentException($"epoch {state.Epoch} / position {state.Position} out of range");
        _rng.SetState(state.EpochStartRng);
        _epochStart = state.EpochStartRng;
        Shuffle();
        (Epoch, Position) = (state.Epoch, state.Position);
    }

    private void Shuffle()
    {
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _rng.Shuffle(_order.AsSpan());
    }
}
