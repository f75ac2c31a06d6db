using System.Globalization;
using Rlhf.Models.Tokenization;

namespace Rlhf.Training.Scoring;

/// <summary>
/// A length control around any reward: r' = r − c·ℓ, with ℓ the response length in tokens of
/// <c>tokenizer</c> (characters when none is given). Counters reward models' length bias (Singhal et al. 2023,
/// "A Long Way to Go", arXiv 2310.03716, study such penalties); c &lt; 0 rewards length instead. Spread and note pass
/// through unchanged.
/// </summary>
public sealed class LengthPenaltyReward : IRewardFunction
{
    private readonly IRewardFunction _inner;
    private readonly double _coefficient;
    private readonly BpeTokenizer? _tokenizer;

    /// <summary>Wraps <paramref name="inner"/> with penalty <paramref name="coefficient"/> per token (or character without a tokenizer).</summary>
    public LengthPenaltyReward(IRewardFunction inner, double coefficient, BpeTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!double.IsFinite(coefficient)) throw new ArgumentException($"LengthPenaltyReward: coefficient must be finite, got {coefficient}");
        (_inner, _coefficient, _tokenizer) = (inner, coefficient, tokenizer);
        Name = $"{inner.Name}-{coefficient.ToString("G4", CultureInfo.InvariantCulture)}*len{(tokenizer is null ? "_chars" : "")}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>ℓ of <paramref name="completion"/>: tokens, or characters without a tokenizer.</summary>
    public int Length(string completion) => _tokenizer is null ? completion.Length : _tokenizer.Encode(completion).Length;

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var outcomes = _inner.Score(batch);
        var result = new RewardOutcome[outcomes.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = outcomes[i] with { Reward = (float)(outcomes[i].Reward - _coefficient * Length(batch[i].Completion)) };
        return result;
    }
}
