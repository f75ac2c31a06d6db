using Rlhf.Tensors;
using Rlhf.Training.Grpo;
using Rlhf.Training.Rl;
using Rlhf.Training.Scoring;
using Rlhf.Data.Prompts;

namespace Rlhf.Training.Tests.Grpo;

/// <summary>The three GRPO loss aggregations on a hand example, and RLOO's KL-in-the-reward.</summary>
public class LossAggregationTests
{
    // three responses of 2, 4 and 3 tokens (width 4); the first two answer prompt 0, the third prompt 1
    private static readonly int[] Lengths = [2, 4, 3];
    private static readonly int[] Groups = [0, 0, 1];

    [Fact]
    public void Token_mean_weighs_every_token_by_one_over_the_batch_token_count()
    {
        var w = new TokenMeanAggregation().Weights(Lengths, 4, Groups);
        Assert.Equal([1f, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0], w.Weights);
        Assert.Equal(1f / 9, w.Scale);
    }

    [Fact]
    public void Sequence_mean_is_DeepSeekMath_eq3_mean_per_response_then_group_then_prompts()
    {
        // weight 1/(P·G_g·|o_i|): P = 2 prompts; prompt 0 has G = 2 → 1/(2·2·2) = 1/8 and 1/(2·2·4) = 1/16; prompt 1 has G = 1 → 1/(2·1·3) = 1/6
        var w = new SequenceMeanAggregation().Weights(Lengths, 4, Groups);
        float e = 1f / 8, f = 1f / 16, g = 1f / 6;
        Assert.Equal([e, e, 0, 0, f, f, f, f, g, g, g, 0], w.Weights);
        Assert.Equal(1f, w.Scale);
        Assert.Equal(1.0, w.Weights.Sum(), 6); // a mean: the weights of all tokens add up to 1
    }

    [Fact]
    public void Constant_divides_by_responses_times_the_generation_budget()
    {
        var w = new ConstantAggregation(maxNewTokens: 5).Weights(Lengths, 4, Groups);
        Assert.Equal(new TokenMeanAggregation().Weights(Lengths, 4, Groups).Weights, w.Weights);
        Assert.Equal(1f / 15, w.Scale);
    }

    [Fact]
    public void Loss_with_sequence_mean_weights_matches_the_hand_sum()
    {
        // at ρ = 1 (π_θ = π_old) and β = 0 each token's loss is −Â_i, so L = −Σ_i (Σ_t w_{i,t})·Â_i
        float[] adv = [1f, -2f, 0.5f];
        var lp = new float[12];
        var logProbs = Tensor.FromArray((float[])lp.Clone(), 3, 4);
        logProbs.RequiresGrad = true;
        var mask = new TokenMeanAggregation().Weights(Lengths, 4, Groups).Weights;
        var w = new SequenceMeanAggregation().Weights(Lengths, 4, Groups);
        var (loss, stats) = GrpoLoss.Compute(logProbs, lp, null, adv, mask, w.Weights, w.Scale, 0.2f, 0.2f, 0f);
        // −[(2/8)·1 + (4/16)·(−2) + (3/6)·0.5] = −[0.25 − 0.5 + 0.25] = 0
        Assert.Equal(0.0, loss.Item(), 6);
        Assert.Equal(9, stats.Tokens);
        // the token-mean overload agrees with weights = mask, scale = 1/N: −(2·1 + 4·(−2) + 3·0.5)/9 = 4.5/9
        Assert.Equal(0.5, GrpoLoss.Compute(Tensor.FromArray((float[])lp.Clone(), 3, 4), lp, null, adv, mask, 9, 0.2f, 0.2f, 0f).Loss.Item(), 6);
    }

    [Fact]
    public void Rloo_subtracts_beta_times_the_sequence_k1_from_the_reward()
    {
        // response 0: log π_old = [−1, −2], log π_ref = [−1.5, −1] → KL = 0.5 − 1 = −0.5; response 1: [−0.1] vs [−0.4] → 0.3
        RolloutSample S(float[] old) => new(0, new RlPrompt("p"), [1], new int[old.Length], old, "r", true);
        float[] refLp = [-1.5f, -1f, -0.4f, 0f];
        var shaped = SequenceKlReward.Subtract([1.0, 2.0], [S([-1f, -2f]), S([-0.1f])], refLp, 2, beta: 0.1f);
        Assert.Equal(1 - 0.1 * -0.5, shaped[0], 6);
        Assert.Equal(2 - 0.1 * 0.3, shaped[1], 6);
        Assert.True(new GrpoConfig { OutDir = "x", Advantage = AdvantageKind.Rloo, Beta = 0.1f }.KlInReward);
        Assert.False(new GrpoConfig { OutDir = "x", Advantage = AdvantageKind.Group, Beta = 0.1f }.KlInReward);
        Assert.False(new GrpoConfig { OutDir = "x", Advantage = AdvantageKind.Rloo }.KlInReward);
    }
}
