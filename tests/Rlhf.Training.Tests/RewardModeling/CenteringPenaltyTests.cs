using Rlhf.Tensors;
using Rlhf.Training.RewardModeling;

namespace Rlhf.Training.Tests.RewardModeling;

public class CenteringPenaltyTests
{
    [Fact]
    public void Value_and_gradient_match_the_hand_example()
    {
        // scores r = [1, 3, −1]; one group: 0 ≻ 1 (w 1) and 2 ≻ 1 (w ½); c = 0.01
        // penalty = c·[1·(1 + 3)² + ½·(−1 + 3)²] = 0.01·(16 + 2) = 0.18 (c·(batch mean)² would be 0.01·1² = 0.01)
        // ∂/∂r0 = 2c·1·4 = 0.08, ∂/∂r1 = 2c·(1·4 + ½·2) = 0.10, ∂/∂r2 = 2c·½·2 = 0.02
        var scores = Tensor.FromArray([1f, 3f, -1f], 3);
        scores.RequiresGrad = true;
        var penalty = CenteringPenalty.Compute(scores, [new ScorePair(0, 1), new ScorePair(2, 1, 0.5f)], groups: 1, coefficient: 0.01f);
        Assert.Equal(0.18, penalty.Item(), 6);
        penalty.Backward();
        var g = scores.Grad!.ToArray();
        Assert.Equal(0.08, g[0], 6);
        Assert.Equal(0.10, g[1], 6);
        Assert.Equal(0.02, g[2], 6);
    }

    [Fact]
    public void Plain_pairs_give_TRLs_mean_of_squared_sums()
    {
        // TRL: c · mean((r_chosen + r_rejected)²) over the batch's pairs; here 2 pairs, 2 groups
        var scores = Tensor.FromArray([2f, 1f, -0.5f, -1.5f], 4);
        double trl = 0.1 * ((2 + 1) * (2 + 1) + (-0.5 - 1.5) * (-0.5 - 1.5)) / 2.0;
        Assert.Equal(trl, CenteringPenalty.Compute(scores, [new ScorePair(0, 1), new ScorePair(2, 3)], groups: 2, coefficient: 0.1f).Item(), 6);
    }

    [Fact]
    public void Per_prompt_offsets_shrink_while_the_order_is_kept()
    {
        // two prompts with offsets +4.5 and −3.5 (batch mean 0.5): the ranking loss cannot see offsets, the batch-mean
        // penalty would only shift both by −0.5; the pair penalty drives each prompt's sum to 0
        var scores = Tensor.FromArray([5f, 4f, -3f, -4f], 4);
        scores.RequiresGrad = true;
        ScorePair[] pairs = [new(0, 1), new(2, 3)];
        for (int step = 0; step < 400; step++)
        {
            scores.Grad = null;
            var loss = RankingLoss.Compute(scores, pairs, 2) + CenteringPenalty.Compute(scores, pairs, 2, 0.1f);
            loss.Backward();
            var s = scores.Span;
            var grad = scores.Grad!.ToArray();
            for (int i = 0; i < 4; i++) s[i] -= 0.5f * grad[i];
        }
        var r = scores.ToArray();
        Assert.True(Math.Abs(r[0] + r[1]) < 0.05 && Math.Abs(r[2] + r[3]) < 0.05, $"prompt offsets not centred: {string.Join(", ", r)}");
        Assert.True(r[0] > r[1] && r[2] > r[3]);
    }
}
