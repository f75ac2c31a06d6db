using Rlhf.Training.Ppo;

namespace Rlhf.Training.Tests.Ppo;

/// <summary>
/// The per-token PPO reward r_t = −β·(log π_old − log π_ref)_t, plus the (clipped) score on the last real token,
/// on a batch worked out by hand.
/// </summary>
public sealed class TokenRewardsTests
{
    // B = 3 rows, L = 3 positions, β = 0.1
    //   row 0: 3 tokens, k1 = lp − ref = (−1 + 1.5, −2 + 1, −0.5 + 0.5) = (0.5, −1, 0), score 2
    //          r = (−0.05, +0.1, 0 + 2) ; Σk1 = −0.5 ; Σk3 = (e^−0.5 − 1 + 0.5) + (e^1 − 1 − 1) + 0
    //   row 1: 2 tokens (the third is padding and gets nothing), k1 = (1, 0), score −5 (clipped to −3 with c = 3)
    //          r = (−0.1, 0 − 3, 0) ; Σk1 = 1 ; Σk3 = e^−1 − 1 + 1
    //   row 2: no token: no reward at all, the score is dropped
    private static readonly float[] LogProbs = [-1f, -2f, -0.5f, /**/ -0.25f, -3f, 9f, /**/ 4f, 4f, 4f];
    private static readonly float[] RefLogProbs = [-1.5f, -1f, -0.5f, /**/ -1.25f, -3f, 7f, /**/ 1f, 1f, 1f];
    private static readonly int[] Lengths = [3, 2, 0];
    private static readonly float[] Scores = [2f, -5f, 10f];

    [Fact]
    public void Each_token_pays_beta_times_k1_and_the_last_real_token_gets_the_clipped_score()
    {
        var (rewards, kl, k3) = TokenRewards.Compute(LogProbs, RefLogProbs, Lengths, 3, Scores, beta: 0.1, clip: 3f);
        float[] expected = [-0.05f, 0.1f, 2f, /**/ -0.1f, -3f, 0f, /**/ 0f, 0f, 0f];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], rewards[i], 6);
        Assert.Equal([-0.5, 1.0, 0.0], kl);
        Assert.Equal(Math.Exp(-0.5) - 0.5 + (Math.E - 2), k3[0], 12);
        Assert.Equal(Math.Exp(-1), k3[1], 12);
        Assert.Equal(0.0, k3[2]);
        // Σ_t r_t = clip(score) − β·Σk1 per row
        Assert.Equal(2 - 0.1 * -0.5, rewards[0..3].Sum(), 6);
        Assert.Equal(-3 - 0.1 * 1.0, rewards[3..6].Sum(), 6);
    }

    [Fact]
    public void Without_a_clip_the_score_is_added_as_is_and_beta_zero_leaves_only_the_score()
    {
        var (rewards, _, _) = TokenRewards.Compute(LogProbs, RefLogProbs, Lengths, 3, Scores, beta: 0.1, clip: null);
        Assert.Equal(-5f, rewards[4], 6);
        var (plain, kl, _) = TokenRewards.Compute(LogProbs, RefLogProbs, Lengths, 3, Scores, beta: 0, clip: null);
        Assert.Equal([0f, 0f, 2f, 0f, -5f, 0f, 0f, 0f, 0f], plain);
        Assert.Equal([-0.5, 1.0, 0.0], kl); // the KL is still measured
    }

    [Fact]
    public void Mismatched_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => TokenRewards.Compute(LogProbs, RefLogProbs, Lengths, 3, [1f, 2f], 0.1, null));
        Assert.Throws<ArgumentException>(() => TokenRewards.Compute(LogProbs[..8], RefLogProbs, Lengths, 3, Scores, 0.1, null));
    }
}
