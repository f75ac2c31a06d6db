using Rlhf.Training.Rl;

namespace Rlhf.Training.Scoring;

/// <summary>
/// LLM-as-judge reward: a model is shown the problem, the response and the reference answer and asked whether they
/// agree (<see cref="JudgePrompt"/>); reward 1 for "yes", 0 for "no". Useful when answers are free-form and a string
/// checker would be too strict. Never throws on a sample: a task without a reference answer, a backend error (timeout,
/// unreachable endpoint, unparsable reply) score 0 with the reason as the note.
/// </summary>
/// <param name="backend">The judge model.</param>
public sealed class LlmJudgeReward(IJudgeBackend backend) : IRewardFunction
{
    /// <inheritdoc/>
    public string Name => backend.Name;

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var outcomes = new RewardOutcome[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            if (r.Answer is null) { outcomes[i] = new(0f, null, "the task has no reference answer"); continue; }
            try { outcomes[i] = backend.Judge(r.Prompt, r.Completion ?? "", r.Answer).Agree ? new(1f) : new(0f, null, "judge: no"); }
            catch (Exception e) when (e is not OutOfMemoryException) { outcomes[i] = new(0f, null, $"judge failed: {e.Message}"); }
        }
        return outcomes;
    }
}
