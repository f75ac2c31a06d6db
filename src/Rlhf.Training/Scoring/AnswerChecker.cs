using Rlhf.Training.Rl;

namespace Rlhf.Training.Scoring;

/// <summary>
/// A verifiable reward: 1 when the answer extracted from the response matches the task's reference answer, else 0.
/// Subclasses say where the answer is (<see cref="Extract"/>) and what counts as a match (<see cref="Matches"/>);
/// this base handles the batch and the bad cases, which score 0 with a <see cref="RewardOutcome.Note"/> and never
/// throw: a task without a reference answer, a response with no parsable answer, a wrong answer.
/// </summary>
public abstract class AnswerChecker : IRewardFunction
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The answer in <paramref name="completion"/>, or null with <paramref name="problem"/> saying why there is none.</summary>
    public abstract string? Extract(string completion, out string? problem);

    /// <summary>Whether the extracted answer matches the reference; default: equal <see cref="AnswerText.Normalize"/> forms.</summary>
    public virtual bool Matches(string predicted, string reference) =>
        string.Equals(AnswerText.Normalize(predicted), AnswerText.Normalize(reference), StringComparison.Ordinal);

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var outcomes = new RewardOutcome[batch.Count];
        for (int i = 0; i < batch.Count; i++) outcomes[i] = ScoreOne(batch[i]);
        return outcomes;
    }

    private RewardOutcome ScoreOne(RewardRequest request)
    {
        if (request.Answer is null) return new(0f, null, "the task has no reference answer");
        string? predicted = Extract(request.Completion ?? "", out string? problem);
        if (predicted is null) return new(0f, null, problem ?? "no answer found");
        return Matches(predicted, request.Answer) ? new(1f) : new(0f, null, $"answer '{predicted}' does not match '{request.Answer}'");
    }
}
