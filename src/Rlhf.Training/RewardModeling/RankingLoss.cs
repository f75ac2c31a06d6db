using Rlhf.Tensors;

namespace Rlhf.Training.RewardModeling;

/// <summary>
/// Reward-model ranking loss (Ouyang et al. 2022, eq. 1; Bradley–Terry):
/// loss = −(1/G) Σ_pairs w · log σ(r_better − r_worse − margin), where r are the scores of the batch's completions,
/// w the pair weights (1/(untied pairs) within a K-wise ranking — 1/C(K,2) without ties —, 1 for a plain pair) and G the number of groups (prompts)
/// in the batch, so every prompt contributes equally. Built from ops (gather via <see cref="Ops.Embedding(int[], Tensor)"/>,
/// <see cref="Ops.LogSigmoid"/>), so its gradient comes from their backward passes:
/// ∂loss/∂r_better = −(w/G)·σ(−(r_b − r_w − m)) and ∂loss/∂r_worse = +(w/G)·σ(−(r_b − r_w − m)).
/// </summary>
public static class RankingLoss
{
    /// <summary>The loss over <paramref name="pairs"/> of <paramref name="scores"/> (N), averaged over <paramref name="groups"/>.</summary>
    public static Tensor Compute(Tensor scores, IReadOnlyList<ScorePair> pairs, int groups)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(pairs);
        if (scores.Rank != 1) throw new TensorShapeException($"RankingLoss: scores must be (N), got {Tensor.ShapeString(scores.Shape)}");
        if (pairs.Count == 0) throw new ArgumentException("RankingLoss: no pairs (every ranking was all ties, or the batch is empty)");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), $"RankingLoss: groups must be positive, got {groups}");
        int n = scores.Size, p = pairs.Count;
        var better = new int[p];
        var worse = new int[p];
        var weights = new float[p];
        var margins = new float[p];
        for (int i = 0; i < p; i++)
        {
            var pair = pairs[i];
            if ((uint)pair.Better >= (uint)n || (uint)pair.Worse >= (uint)n || pair.Better == pair.Worse)
                throw new ArgumentException($"RankingLoss: pair {i} ({pair.Better} ≻ {pair.Worse}) does not name two different rows of {n} scores");
            (better[i], worse[i], weights[i], margins[i]) = (pair.Better, pair.Worse, pair.Weight, pair.Margin);
        }
        var table = Ops.Reshape(scores, n, 1);                                                     // (N, 1)
        var diff = Ops.Embedding(better, table) - Ops.Embedding(worse, table)                      // (P, 1)
                   - Tensor.FromArray(margins, p, 1);
        var weighted = Ops.LogSigmoid(diff) * Tensor.FromArray(weights, p, 1);                     // (P, 1)
        return Ops.Scale(Ops.Sum(weighted), -1f / groups);                                         // scalar
    }

    /// <summary>
    /// Fraction of pairs the scores order correctly (r_better &gt; r_worse; a tie counts as half), unweighted — the
    /// pairwise accuracy reported by <c>rlhf rm eval</c>.
    /// </summary>
    public static double Accuracy(ReadOnlySpan<float> scores, IReadOnlyList<ScorePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return double.NaN;
        double correct = 0;
        foreach (var pair in pairs)
        {
            float d = scores[pair.Better] - scores[pair.Worse];
            correct += d > 0 ? 1 : d == 0 ? 0.5 : 0;
        }
        return correct / pairs.Count;
    }
}
