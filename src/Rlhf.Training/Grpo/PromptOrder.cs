using Rlhf.Tensors;

namespace Rlhf.Training.Grpo;

/// <summary>Where a run is in its prompts: the current epoch's shuffled order, the next position, and the shuffling generator.</summary>
/// <param name="Count">Number of prompts the order belongs to (a resume with other data is refused).</param>
/// <param name="Epoch">Completed passes over the prompts.</param>
/// <param name="Cursor">Next position in <paramref name="Order"/>.</param>
/// <param name="Order">This epoch's permutation of prompt indices.</param>
/// <param name="Rng">The generator that shuffles the next epoch.</param>
public sealed record PromptOrderState(int Count, int Epoch, int Cursor, int[] Order, RngState Rng);

/// <summary>
/// Draws prompts for GRPO iterations: shuffled epochs without replacement (a seeded permutation per epoch); a batch
/// that crosses an epoch end is completed from the next epoch's order. Its state is saved with checkpoints.
/// </summary>
public sealed class PromptOrder
{
    private readonly int _count;
    private readonly Rng _rng;
    private int[] _order;
    private int _cursor, _epoch;

    /// <summary>An order over <paramref name="count"/> prompts seeded with <paramref name="seed"/>.</summary>
    public PromptOrder(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        (_count, _rng) = (count, new Rng(seed));
        _order = Shuffled();
    }

    /// <summary>Completed epochs.</summary>
    public int Epoch => _epoch;

    /// <summary>The next <paramref name="n"/> prompt indices.</summary>
    public int[] Next(int n)
    {
        var picked = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (_cursor == _count) { _order = Shuffled(); _cursor = 0; _epoch++; }
            picked[i] = _order[_cursor++];
        }
        return picked;
    }

    /// <summary>The state to save.</summary>
    public PromptOrderState GetState() => new(_count, _epoch, _cursor, (int[])_order.Clone(), _rng.GetState());

    /// <summary>Continues from <paramref name="state"/>; throws <see cref="ArgumentException"/> when it belongs to another number of prompts.</summary>
    public void Restore(PromptOrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != _count || state.Order.Length != _count)
            throw new ArgumentException($"the checkpoint was taken over {state.Count} prompts, now there are {_count}");
        (_epoch, _cursor, _order) = (state.Epoch, state.Cursor, (int[])state.Order.Clone());
        _rng.SetState(state.Rng);
    }

    private int[] Shuffled()
    {
        var order = Enumerable.Range(0, _count).ToArray();
        _rng.Shuffle(order.AsSpan());
        return order;
    }
}
