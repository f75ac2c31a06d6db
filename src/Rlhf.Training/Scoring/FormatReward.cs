using System.Text.RegularExpressions;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Scoring;

/// <summary>
/// Rewards the answer's shape, not its correctness (DeepSeek-R1's format reward): 1 when the response is well formed,
/// else 0 with the reason. Combine it with a small weight and a correctness checker so a policy learns to write a
/// parsable answer early. The reference answer is not needed.
/// </summary>
/// <param name="name">Name for logs.</param>
/// <param name="problem">Null for a well-formed response, else why it is not.</param>
public sealed class FormatReward(string name, Func<string, string?> problem) : IRewardFunction
{
    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <summary>Well formed = has a complete <c>\boxed{...}</c>.</summary>
    public static FormatReward Boxed() => new("format-boxed", c => AnswerText.Boxed(c, out var p) is null ? p : null);

    /// <summary>Well formed = the last line is <c>#### answer</c> and nothing follows it.</summary>
    public static FormatReward FinalLine() => new("format-final-line", c =>
    {
        if (AnswerText.FinalLine(c, out var p) is null) return p;
        int at = c.LastIndexOf("####", StringComparison.Ordinal), end = c.IndexOf('\n', at);
        return end >= 0 && c[end..].Trim().Length > 0 ? "text after the '####' line" : null;
    });

    /// <summary>Well formed = the whole response matches <paramref name="pattern"/>.</summary>
    public static FormatReward Matching(Regex pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return new($"format:{pattern}", c => pattern.IsMatch(c) ? null : $"response does not match /{pattern}/");
    }

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var outcomes = new RewardOutcome[batch.Count];
        for (int i = 0; i < batch.Count; i++)
            outcomes[i] = problem(batch[i].Completion ?? "") is { } why ? new(0f, null, why) : new(1f);
        return outcomes;
    }
}
