using Rlhf.Training.Common;

namespace Rlhf.Training.Scoring;

/// <summary>
/// An external scorer as the gold standard (<c>--gold http://…</c> or <c>--gold cmd:…</c>). Gold is the truth runs are
/// measured against, so a sample whose gold score cannot be had after the retries stops the job with a clear error
/// instead of being given a made-up value.
/// </summary>
public sealed class ExternalGoldScorer(ExternalReward reward) : IGoldScorer, IDisposable
{
    /// <inheritdoc/>
    public string Name => reward.Name;

    /// <inheritdoc/>
    public double Score(string prompt, string completion)
    {
        if (reward.TryScore([new RewardRequest(prompt, completion)], out var scores) && double.IsFinite(scores[0])) return scores[0];
        throw new TrainingException($"gold scorer {Name} gave no usable score: {reward.LastFailure ?? $"it returned {(scores.Length > 0 ? scores[0] : double.NaN)}"}");
    }

    /// <inheritdoc/>
    public void Dispose() => reward.Dispose();
}
