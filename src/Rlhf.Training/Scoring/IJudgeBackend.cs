namespace Rlhf.Training.Scoring;

/// <summary>
/// A model that answers "do this solution and this reference answer agree?" for <see cref="LlmJudgeReward"/>.
/// Implementations may throw on any failure (timeout, unreachable endpoint, unparsable reply): the reward catches
/// it, scores the sample 0 and logs the reason, so a judge outage never stops training.
/// </summary>
public interface IJudgeBackend
{
    /// <summary>Short name for logs, e.g. <c>judge:local</c> or <c>judge:http://host/v1#model</c>.</summary>
    string Name { get; }

    /// <summary>The verdict on one (problem, solution, reference) triple.</summary>
    JudgeVerdict Judge(string problem, string solution, string reference, CancellationToken cancel = default);
}
