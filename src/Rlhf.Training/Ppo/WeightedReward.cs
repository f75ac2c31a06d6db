using Rlhf.Training.Rl;

namespace Rlhf.Training.Ppo;

/// <summary>
/// Several reward functions combined with weights, r = Σ_i w_i·r_i (e.g. a helpfulness RM and a harmlessness RM, or an
/// RM plus a rule; TRL's <c>reward_weights</c>). The spread is Σ_i |w_i|·spread_i over the parts that report one;
/// notes are joined. A non-finite part makes the sum non-finite, and the trainer then drops the sample.
/// </summary>
public sealed class WeightedReward : IRewardFunction
{
    private readonly (IRewardFunction Reward, double Weight)[] _parts;

    /// <summary>Combines <paramref name="parts"/> (at least one).</summary>
    public WeightedReward(IReadOnlyList<(IRewardFunction Reward, double Weight)> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("WeightedReward: no reward functions");
        _parts = [.. parts];
        Name = string.Join(" + ", _parts.Select(p => $"{p.Weight:G3}·{p.Reward.Name}"));
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var all = _parts.Select(p => p.Reward.Score(batch)).ToArray();
        var result = new RewardOutcome[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            double reward = 0, spread = 0;
            bool anySpread = false;
            var notes = new List<string>();
            for (int p = 0; p < _parts.Length; p++)
            {
                var o = all[p][i];
                reward += _parts[p].Weight * o.Reward;
                if (o.Spread is float s) { spread += Math.Abs(_parts[p].Weight) * s; anySpread = true; }
                if (o.Note is { } note) notes.Add(note);
            }
            result[i] = new RewardOutcome((float)reward, anySpread ? (float)spread : null, notes.Count > 0 ? string.Join("; ", notes) : null);
        }
        return result;
    }
}
