using System.Globalization;

namespace Rlhf.Training.Scoring;

/// <summary>
/// Several reward functions combined into one (e.g. helpfulness RM + harmlessness RM, or RM + a rule): each is scored
/// on the whole batch, then per sample
/// <code>
/// r = Σ_k w_k · r_k        spread = √(Σ_k (w_k · s_k)²)
/// </code>
/// where s_k is member k's spread (ensemble std) when it reports one — the spread of a weighted sum of independent
/// estimates (null when no member reports a spread). Notes are concatenated as <c>name: note; …</c>. Weights may be
/// negative (a penalty term).
/// </summary>
public sealed class WeightedReward : IRewardFunction
{
    private readonly IReadOnlyList<(IRewardFunction Function, double Weight)> _terms;

    /// <summary>Combines <paramref name="terms"/> (at least one, finite weights).</summary>
    public WeightedReward(IReadOnlyList<(IRewardFunction Function, double Weight)> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count == 0) throw new ArgumentException("WeightedReward: at least one reward function is needed");
        foreach (var (f, w) in terms)
        {
            ArgumentNullException.ThrowIfNull(f);
            if (!double.IsFinite(w)) throw new ArgumentException($"WeightedReward: weight of '{f.Name}' must be finite, got {w}");
        }
        _terms = terms;
        Name = string.Join('+', terms.Select(t => $"{t.Weight.ToString("G4", CultureInfo.InvariantCulture)}*{t.Function.Name}"));
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The combined reward functions and their weights.</summary>
    public IReadOnlyList<(IRewardFunction Function, double Weight)> Terms => _terms;

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var reward = new double[batch.Count];
        var spread2 = new double[batch.Count];
        var hasSpread = new bool[batch.Count];
        var notes = new List<string>?[batch.Count];
        foreach (var (function, weight) in _terms)
        {
            var outcomes = function.Score(batch);
            if (outcomes.Count != batch.Count)
                throw new InvalidOperationException($"WeightedReward: '{function.Name}' returned {outcomes.Count} outcomes for {batch.Count} requests");
            for (int i = 0; i < batch.Count; i++)
            {
                var o = outcomes[i];
                reward[i] += weight * o.Reward;
                if (o.Spread is { } s) { spread2[i] += weight * weight * s * s; hasSpread[i] = true; }
                if (o.Note is { } note) (notes[i] ??= []).Add($"{function.Name}: {note}");
            }
        }
        var result = new RewardOutcome[batch.Count];
        for (int i = 0; i < batch.Count; i++)
            result[i] = new((float)reward[i], hasSpread[i] ? (float)Math.Sqrt(spread2[i]) : null, notes[i] is { } n ? string.Join("; ", n) : null);
        return result;
    }
}
