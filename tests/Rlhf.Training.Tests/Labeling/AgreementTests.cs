using Rlhf.Training.Labeling;
using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Labeling;

public sealed class AgreementTests
{
    [Fact]
    public void PairwiseAgreement_OnKnownRankings()
    {
        Assert.Equal(1, RankingAgreement.PairwiseAgreement([2, 0, 3, 1], [2, 0, 3, 1]));
        Assert.Equal(0, RankingAgreement.PairwiseAgreement([2, 0, 3, 1], [1, 3, 0, 2]));
        Assert.Equal(5 / 6.0, RankingAgreement.PairwiseAgreement([0, 1, 2, 3], [1, 0, 2, 3]), 12); // one adjacent swap
        Assert.Equal(0.5, RankingAgreement.PairwiseAgreement([0, 1, 2, 3], [1, 3, 0, 2]), 12);
        Assert.True(double.IsNaN(RankingAgreement.PairwiseAgreement([0], [0])));
    }

    [Fact]
    public void PairwiseAgreement_RejectsNonPermutations()
    {
        Assert.Throws<ArgumentException>(() => RankingAgreement.PairwiseAgreement([0, 1], [0, 1, 2]));
        var ex = Assert.Throws<ArgumentException>(() => RankingAgreement.PairwiseAgreement([0, 0, 1], [0, 1, 2]));
        Assert.Contains("not a permutation", ex.Message);
        Assert.Throws<ArgumentException>(() => RankingAgreement.PairwiseAgreement([0, 1, 3], [0, 1, 2]));
    }

    [Fact]
    public void CountWithScores_SkipsTiedGoldPairs()
    {
        // scores: item 0 = item 1 (tie, skipped); ranking puts 2 first although it is worst.
        var (concordant, comparable) = RankingAgreement.CountWithScores([2, 0, 1], [1.0, 1.0, 0.0]);
        Assert.Equal(2, comparable);
        Assert.Equal(0, concordant);
    }

    [Fact]
    public void Ceiling_OfTwoItems_IsTheSigmoidOfTheScaledGap()
    {
        double ceiling = Agreement.Ceiling([1.0, 0.0], new SimulatedLabelerConfig(Temperature: 1.0), draws: 20000, seed: 1);
        Assert.Equal(1 / (1 + Math.Exp(-1.0)), ceiling, 0.015);
        Assert.Equal(1.0, Agreement.Ceiling([0.3, -0.2, 0.9, 0.1], new SimulatedLabelerConfig(0), draws: 3, seed: 1));
        double noisy = Agreement.Ceiling([0.3, -0.2, 0.9, 0.1], new SimulatedLabelerConfig(100), draws: 4000, seed: 1);
        Assert.Equal(0.5, noisy, 0.03);
    }

    [Fact]
    public void Ceiling_OverTextGroups_FallsWithNoise()
    {
        var gold = new LexiconSentimentScorer();
        List<(string, IReadOnlyList<string>)> groups =
        [
            ("how was the film?", ["it was great and fun", "it was a film", "it was boring", "awful awful"]),
            ("how is the weather?", ["lovely and warm", "cold and dark", "rain", ""]),
            ("one answer only", ["fine"]),
        ];
        double Ceiling(double t) => Agreement.Ceiling(new SimulatedLabeler(gold, new(t), seed: 2), gold, groups, draws: 500);
        double exact = Ceiling(0), sharp = Ceiling(0.1), blurry = Ceiling(1.0);
        Assert.Equal(1.0, exact);
        Assert.True(sharp > blurry && blurry > 0.5, $"{sharp} {blurry}");
    }
}
