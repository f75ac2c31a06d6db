using Rlhf.Tensors;

namespace Rlhf.Training.RewardModeling;

/// <summary>
/// Reward centering (Eisenstein et al. 2023, "Helping or herding?", §3; TRL <c>RewardTrainer</c>'s
/// <c>center_rewards_coefficient</c>): the ranking loss sees only score differences, so each prompt's scores may
/// drift by an arbitrary offset. The penalty
/// <c>c · (1/G) Σ_pairs w · (r_better + r_worse)²</c>
/// pulls every compared pair's sum — hence every prompt's offset — towards 0. Pairs are weighted like
/// <see cref="RankingLoss"/> (w = 1/(untied pairs) within a K-wise ranking, 1 for a plain pair; G groups), so for
/// plain pairs it is TRL's <c>c · mean((r_chosen + r_rejected)²)</c>. Not c·(batch mean)²: that only moves the
/// batch's average, which the post-training normalisation removes anyway, and leaves per-prompt offsets alone.
/// Gradient: ∂/∂r_better = ∂/∂r_worse = 2·c·(w/G)·(r_better + r_worse), summed over a row's pairs.
/// </summary>
public static class CenteringPenalty
{
    /// <summary>The penalty over <paramref name="pairs"/> of <paramref name="scores"/> (N), with coefficient <paramref name="coefficient"/>.</summary>
    public static Tensor Compute(Tensor scores, IReadOnlyList<ScorePair> pairs, int groups, float coefficient)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(pairs);
        if (scores.Rank != 1) throw new TensorShapeException($"CenteringPenalty: scores must be (N), got {Tensor.ShapeString(scores.Shape)}");
        if (pairs.Count == 0) throw new ArgumentException("CenteringPenalty: no pairs");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), $"CenteringPenalty: groups must be positive, got {groups}");
        int n = scores.Size, p = pairs.Count;
        var better = new int[p];
        var worse = new int[p];
        var weights = new float[p];
        for (int i = 0; i < p; i++)
        {
            var pair = pairs[i];
            if ((uint)pair.Better >= (uint)n || (uint)pair.Worse >= (uint)n || pair.Better == pair.Worse)
                throw new ArgumentException($"CenteringPenalty: pair {i} ({pair.Better} ≻ {pair.Worse}) does not name two different rows of {n} scores");
            (better[i], worse[i], weights[i]) = (pair.Better, pair.Worse, pair.Weight);
        }
        var table = Ops.Reshape(scores, n, 1);                                                     // (N, 1)
        var sum = Ops.Embedding(better, table) + Ops.Embedding(worse, table);                     // (P, 1) r_b + r_w
        var weighted = sum * sum * Tensor.FromArray(weights, p, 1);                                // (P, 1) w·(r_b + r_w)²
        return Ops.Scale(Ops.Sum(weighted), coefficient / groups);                                 // scalar
    }
}
