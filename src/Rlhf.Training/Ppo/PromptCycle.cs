using Rlhf.Tensors;

namespace Rlhf.Training.Ppo;

/// <summary>
/// Serves prompt indices in shuffled passes: a permutation of all prompts is consumed in order, and a new one is drawn
/// (with the run's generator) when it runs out, so every prompt is used once per pass. Its state (the permutation and
/// the position) goes into the checkpoint.
/// </summary>
public sealed class PromptCycle
{
    private int[] _order;

    /// <summary>Starts a pass over <paramref name="count"/> prompts shuffled by <paramref name="rng"/>.</summary>
    public PromptCycle(int count, Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(rng);
        _order = Shuffled(count, rng);
    }

    /// <summary>The current permutation.</summary>
    public IReadOnlyList<int> Order => _order;

    /// <summary>Position in <see cref="Order"/>.</summary>
    public int Cursor { get; private set; }

    /// <summary>The next <paramref name="n"/> prompt indices (crossing into a fresh permutation when needed).</summary>
    public int[] Next(int n, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (Cursor == _order.Length) (_order, Cursor) = (Shuffled(_order.Length, rng), 0);
            result[i] = _order[Cursor++];
        }
        return result;
    }

    /// <summary>Restores a saved permutation and position; throws <see cref="ArgumentException"/> when it does not fit the prompt count.</summary>
    public void Restore(int[] order, int cursor)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.Length != _order.Length || order.Order().Where((v, i) => v != i).Any())
            throw new ArgumentException($"the checkpoint's prompt order covers {order.Length} prompts, the prompts file has {_order.Length}");
        if ((uint)cursor > (uint)order.Length) throw new ArgumentException($"prompt position {cursor} is outside [0, {order.Length}]");
        (_order, Cursor) = ([.. order], cursor);
    }

    private static int[] Shuffled(int count, Rng rng)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        rng.Shuffle(order.AsSpan());
        return order;
    }
}
