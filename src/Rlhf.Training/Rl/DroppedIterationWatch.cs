using Rlhf.Training.Common;

namespace Rlhf.Training.Rl;

/// <summary>
/// Fails an RL run whose rollouts are all unusable several iterations in a row (every sample dropped for a
/// non-finite reward or log-prob, or its reward batch failed): such a run makes no update, and going on would only
/// burn time and end "successfully" with a NaN reward. One iteration with some usable samples resets the count.
/// </summary>
public sealed class DroppedIterationWatch
{
    /// <summary>Default number of consecutive all-dropped iterations that ends a run.</summary>
    public const int DefaultLimit = 3;

    private readonly string _trainer;
    private readonly int _limit;

    /// <summary>Consecutive iterations so far whose every sample was dropped.</summary>
    public int Consecutive { get; private set; }

    /// <summary>A watch for <paramref name="trainer"/> (named in the message) that fails after <paramref name="limit"/> all-dropped iterations in a row.</summary>
    public DroppedIterationWatch(string trainer, int limit = DefaultLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _trainer = trainer;
        _limit = limit;
    }

    /// <summary>
    /// Records one iteration (1-based <paramref name="iteration"/>) that kept <paramref name="kept"/> of
    /// <paramref name="sampled"/> samples; throws <see cref="TrainingException"/> at the limit. <paramref name="reason"/>
    /// (e.g. the first sample's note) goes into the message.
    /// </summary>
    public void Observe(int iteration, int kept, int sampled, string? reason = null)
    {
        if (sampled == 0 || kept > 0) { Consecutive = 0; return; }
        Consecutive++;
        if (Consecutive >= _limit)
            throw new TrainingException($"{_trainer}: every sample of {Consecutive} iterations in a row (up to iteration {iteration}) was dropped "
                + $"(non-finite reward or log-prob{(reason is null ? "" : $"; last: {reason}")}); no update was possible. "
                + "Check the reward (does it score anything finite?) and the policy's weights.");
    }
}
