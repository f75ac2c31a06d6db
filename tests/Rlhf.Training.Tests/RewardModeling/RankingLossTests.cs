using Rlhf.Tensors;
using Rlhf.Training.RewardModeling;

namespace Rlhf.Training.Tests.RewardModeling;

public class RankingLossTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void Loss_AndGradient_MatchHandComputation()
    {
        // one prompt with K = 3 ranked 0 ≻ 1 ≻ 2 (3 pairs, weight 1/3 each) and one plain pair 4 ≻ 3 with margin 0.5
        float[] r = [1.0f, 0.2f, -0.5f, 0.3f, 0.1f];
        var scores = Tensor.FromArray((float[])r.Clone(), 5);
        scores.RequiresGrad = true;
        float third = 1f / 3;
        ScorePair[] pairs = [new(0, 1, third), new(0, 2, third), new(1, 2, third), new(4, 3, 1f, 0.5f)];
        var loss = RankingLoss.Compute(scores, pairs, groups: 2);

        double expected = 0;
        var grad = new double[5];
        foreach (var p in pairs)
        {
            double d = r[p.Better] - r[p.Worse] - p.Margin;
            expected += -p.Weight * Math.Log(Sigmoid(d)) / 2;
            grad[p.Better] += -p.Weight * Sigmoid(-d) / 2;
            grad[p.Worse] += p.Weight * Sigmoid(-d) / 2;
        }
        Assert.Equal(expected, loss.Item(), 5);
        loss.Backward();
        var g = scores.Grad!.ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(grad[i], g[i], 5);
    }

    [Fact]
    public void Loss_IsLog2_WhenScoresTie_AndFallsAsTheOrderIsLearned()
    {
        var equal = Tensor.Zeros(2);
        Assert.Equal(Math.Log(2), RankingLoss.Compute(equal, [new ScorePair(0, 1)], 1).Item(), 6);
        var right = Tensor.FromArray([3f, -3f], 2);
        Assert.True(RankingLoss.Compute(right, [new ScorePair(0, 1)], 1).Item() < 0.01f);
    }

    [Fact]
    public void Accuracy_CountsCorrectPairs_TiesAsHalf()
    {
        float[] r = [2f, 1f, 1f, 3f];
        ScorePair[] pairs = [new(0, 1), new(1, 2), new(0, 3)];
        Assert.Equal(0.5, RankingLoss.Accuracy(r, pairs), 10); // right, tie, wrong
    }

    [Fact]
    public void BadPairs_ClearErrors()
    {
        var s = Tensor.Zeros(3);
        Assert.Contains("does not name two different rows", Assert.Throws<ArgumentException>(() => RankingLoss.Compute(s, [new ScorePair(0, 3)], 1)).Message);
        Assert.Contains("does not name two different rows", Assert.Throws<ArgumentException>(() => RankingLoss.Compute(s, [new ScorePair(1, 1)], 1)).Message);
        Assert.Contains("no pairs", Assert.Throws<ArgumentException>(() => RankingLoss.Compute(s, [], 1)).Message);
    }
}
