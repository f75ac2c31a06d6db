using Rlhf.Tensors;
using Rlhf.Training.Distributed;

namespace Rlhf.Training.Data;

/// <summary>
/// Shuffled epochs over <see cref="Count"/> items (examples, preference pairs, prompts): each epoch visits every item
/// exactly once in a fresh permutation (<see cref="Rng.Shuffle{T}"/> over 0..Count−1), drawn lazily when the first
/// index past the previous epoch's end is asked for. Used by every trainer that reads items in shuffled passes:
/// <list type="bullet">
/// <item><see cref="NextBatch"/> stops at the epoch end (the last batch of an epoch holds the remainder, so epochs
/// never mix: SFT, reward modelling, DPO); <see cref="Next"/> completes a batch from the next epoch (GRPO, PPO).</item>
/// <item>The generator is either the order's own (seeded; SFT, RM, DPO, GRPO) or one shared with the run (PPO, whose
/// single generator also samples rollouts and minibatches).</item>
/// </list>
/// <see cref="GetState"/>/<see cref="Restore"/> are exact: with its own generator, the epoch's permutation is re-drawn
/// from the generator state saved at the epoch's start (a constant-size state); with a shared generator, which has
/// moved on since, the permutation itself is saved (the run saves and restores the generator).
/// </summary>
public sealed class ShuffledOrder
{
    private readonly Rng _rng;
    private readonly bool _ownsRng;
    private readonly int[] _order;
    private RngState _epochStart;

    /// <summary>Starts epoch 0 over <paramref name="count"/> ≥ 1 items with its own generator seeded with <paramref name="seed"/>.</summary>
    public ShuffledOrder(int count, ulong seed) : this(count, new Rng(seed), ownsRng: true) { }

    /// <summary>
    /// Starts epoch 0 over <paramref name="count"/> ≥ 1 items, shuffled by <paramref name="shared"/> — the run's own
    /// generator, which the run saves and restores itself; each new epoch draws from it at the moment it starts.
    /// </summary>
    public ShuffledOrder(int count, Rng shared) : this(count, shared ?? throw new ArgumentNullException(nameof(shared)), ownsRng: false) { }

    private ShuffledOrder(int count, Rng rng, bool ownsRng)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        (_rng, _ownsRng, _order) = (rng, ownsRng, new int[count]);
        _epochStart = _rng.GetState();
        Shuffle();
    }

    /// <summary>Items per epoch.</summary>
    public int Count => _order.Length;

    /// <summary>Current epoch (0-based): the number of permutations drawn before the current one.</summary>
    public int Epoch { get; private set; }

    /// <summary>Items of the current epoch already handed out.</summary>
    public int Position { get; private set; }

    /// <summary>Batches of ≤ <paramref name="batchSize"/> per epoch with <see cref="NextBatch"/>, ⌈Count / batchSize⌉.</summary>
    public int BatchesPerEpoch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return (_order.Length + batchSize - 1) / batchSize;
    }

    /// <summary>
    /// The next ≤ <paramref name="batchSize"/> indices, never crossing an epoch end (the last batch of an epoch may be
    /// smaller); starts a new epoch once the current one is used up. The span is valid until the next call.
    /// Under <c>mpiexec</c> every rank draws the same global batch (same seed, same permutation) and gets its own
    /// contiguous shard of it (<see cref="DataParallel.TakeShard"/>, possibly empty when the batch has fewer items
    /// than there are ranks); <see cref="Position"/> and the saved state stay those of the global batches.
    /// </summary>
    public ReadOnlySpan<int> NextBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (Position == _order.Length) NewEpoch();
        int n = Math.Min(batchSize, _order.Length - Position);
        var batch = _order.AsSpan(Position, n);
        Position += n;
        var (start, count) = DataParallel.TakeShard(n);
        return batch.Slice(start, count);
    }

    /// <summary>The next <paramref name="n"/> indices, completed from the next epoch's permutation where the current one runs out.</summary>
    public int[] Next(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var picked = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (Position == _order.Length) NewEpoch();
            picked[i] = _order[Position++];
        }
        return picked;
    }

    /// <summary>The complete state (serializable with System.Text.Json) for a checkpoint.</summary>
    public ShuffledOrderState GetState() =>
        _ownsRng ? new(_order.Length, Epoch, Position, _epochStart, null) : new(_order.Length, Epoch, Position, null, [.. _order]);

    /// <summary>
    /// Continues from <paramref name="state"/>. Throws <see cref="ArgumentException"/> when it was saved over another
    /// number of items, by an order with the other kind of generator, or is out of range (that the items themselves
    /// are the same cannot be checked here).
    /// </summary>
    public void Restore(ShuffledOrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != _order.Length)
            throw new ArgumentException($"the saved order covers {state.Count} items, this run has {_order.Length}", nameof(state));
        if (state.Epoch < 0 || (uint)state.Position > (uint)_order.Length)
            throw new ArgumentException($"saved epoch {state.Epoch} / position {state.Position} is out of range for {_order.Length} items", nameof(state));
        if (_ownsRng)
        {
            if (state.EpochStartRng is not { } start)
                throw new ArgumentException("the saved order was shuffled by a shared generator, this one has its own", nameof(state));
            _rng.SetState(start);
            _epochStart = start;
            Shuffle();
        }
        else
        {
            if (state.Order is not { } order)
                throw new ArgumentException("the saved order had its own generator, this one shares the run's", nameof(state));
            if (order.Length != _order.Length || order.Order().Where((v, i) => v != i).Any())
                throw new ArgumentException($"the saved permutation is not one of 0..{_order.Length - 1}", nameof(state));
            order.CopyTo(_order, 0);
        }
        (Epoch, Position) = (state.Epoch, state.Position);
    }

    private void NewEpoch()
    {
        Epoch++;
        Position = 0;
        _epochStart = _rng.GetState();
        Shuffle();
    }

    /// <summary>A fresh permutation of all items from the generator's current state.</summary>
    private void Shuffle()
    {
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _rng.Shuffle(_order.AsSpan());
    }
}

/// <summary>
/// Serializable state of a <see cref="ShuffledOrder"/>: the item count it belongs to, the epoch, how many of its items
/// were used, and the current permutation — as the own generator's state at the epoch's start
/// (<paramref name="EpochStartRng"/>, re-drawn on restore) or, for an order on a shared generator, as the permutation
/// itself (<paramref name="Order"/>). Exactly one of the two is set.
/// </summary>
public sealed record ShuffledOrderState(int Count, int Epoch, int Position, RngState? EpochStartRng, int[]? Order);
