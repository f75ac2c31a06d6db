using Rlhf.Training.Labeling;
using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Labeling;

/// <summary>Gold scores looked up from a table, so the tests control utilities exactly.</summary>
internal sealed class TableScorer(Dictionary<string, double> table) : IGoldScorer
{
    public string Name => "table";
    public double Score(string prompt, string completion) => table[completion];
}

public sealed class SimulatedLabelerTests
{
    private static readonly string[] Texts = ["a", "b", "c", "d"];
    private static readonly double[] Gold = [0.2, 1.0, -0.3, 0.6]; // gold order: b, d, a, c = 1, 3, 0, 2

    private static TableScorer Table() => new(Texts.Zip(Gold).ToDictionary(p => p.First, p => p.Second));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Theory]
    [InlineData(SimulatedLabelerConfig.PlackettLuce, 0)]
    [InlineData(SimulatedLabelerConfig.PlackettLuce, 1e-9)]
    [InlineData(SimulatedLabelerConfig.BradleyTerry, 0)]
    [InlineData(SimulatedLabelerConfig.BradleyTerry, 1e-9)]
    public void NearZeroTemperature_ReturnsTheGoldOrder(string model, double temperature)
    {
        var labeler = new SimulatedLabeler(Table(), new(temperature, 0, model), seed: 7);
        for (int i = 0; i < 20; i++) Assert.Equal([1, 3, 0, 2], labeler.Rank("p", Texts));
    }

    [Fact]
    public void ZeroTemperature_KeepsIndexOrderAmongEqualScores()
    {
        var labeler = new SimulatedLabeler(Table(), new(0), seed: 1);
        Assert.Equal([4, 1, 3, 5, 0, 2], labeler.RankScores([0.0, 1, 0, 1, 2, 0.5]));
    }

    [Fact]
    public void PlackettLuce_MatchesSoftmaxProbabilities()
    {
        const double t = 0.5;
        const int draws = 20000;
        var labeler = new SimulatedLabeler(Table(), new(t), seed: 42);
        double[] e = [.. Gold.Select(g => Math.Exp(g / t))];
        double pBestFirst = e[1] / e.Sum();
        double pGoldOrder = pBestFirst * e[3] / (e[3] + e[0] + e[2]) * e[0] / (e[0] + e[2]);
        int bestFirst = 0, goldOrder = 0;
        for (int i = 0; i < draws; i++)
        {
            var r = labeler.Rank("p", Texts);
            if (r[0] == 1) bestFirst++;
            if (r.SequenceEqual([1, 3, 0, 2])) goldOrder++;
        }
        // binomial sd ≈ 0.0035 for p ≈ 0.6 at 20000 draws: 0.015 is > 4 sd
        Assert.Equal(pBestFirst, bestFirst / (double)draws, 0.015);
        Assert.Equal(pGoldOrder, goldOrder / (double)draws, 0.015);
    }

    [Fact]
    public void LengthBias_MakesLongerAnswersWinMoreOften()
    {
        string shortText = "x", longText = new('y', 101); // 100 more characters: +LengthBias to the gold score
        var scorer = new TableScorer(new() { [shortText] = 0, [longText] = 0 });
        double LongWins(double bias)
        {
            var labeler = new SimulatedLabeler(scorer, new(1.0, bias), seed: 3);
            int wins = 0;
            for (int i = 0; i < 10000; i++) wins += labeler.Rank("p", [shortText, longText])[0];
            return wins / 10000.0;
        }
        Assert.Equal(0.5, LongWins(0), 0.02);
        Assert.Equal(Sigmoid(1.0), LongWins(1.0), 0.02);
    }

    [Fact]
    public void BradleyTerry_PairProbabilityIsSigmoid_AndWinsFollowGold()
    {
        const double t = 0.4;
        var pair = new SimulatedLabeler(Table(), new(t, 0, SimulatedLabelerConfig.BradleyTerry), seed: 5);
        int bFirst = 0;
        for (int i = 0; i < 10000; i++) bFirst += pair.Rank("p", ["a", "b"])[0] == 1 ? 1 : 0;
        Assert.Equal(Sigmoid((1.0 - 0.2) / t), bFirst / 10000.0, 0.02);

        var full = new SimulatedLabeler(Table(), new(t, 0, SimulatedLabelerConfig.BradleyTerry), seed: 6);
        var meanPosition = new double[4];
        for (int i = 0; i < 4000; i++)
        {
            var r = full.Rank("p", Texts);
            Assert.Equal([0, 1, 2, 3], r.Order());
            for (int p = 0; p < 4; p++) meanPosition[r[p]] += p;
        }
        Assert.True(meanPosition[1] < meanPosition[3] && meanPosition[3] < meanPosition[0] && meanPosition[0] < meanPosition[2],
            string.Join(", ", meanPosition));
    }

    [Theory]
    [InlineData(SimulatedLabelerConfig.PlackettLuce)]
    [InlineData(SimulatedLabelerConfig.BradleyTerry)]
    public void SameSeed_SameRankings_OtherSeed_Differs(string model)
    {
        SimulatedLabeler Make(ulong seed) => new(Table(), new(1.0, 0, model), seed);
        SimulatedLabeler a = Make(9), b = Make(9), c = Make(10);
        bool anyDifferent = false;
        for (int i = 0; i < 50; i++)
        {
            var ra = a.Rank("p", Texts);
            Assert.Equal(ra, b.Rank("p", Texts));
            anyDifferent |= !ra.SequenceEqual(c.Rank("p", Texts));
        }
        Assert.True(anyDifferent);
    }

    [Fact]
    public void BadConfig_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedLabeler(Table(), new(-0.1), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedLabeler(Table(), new(double.NaN), 1));
        var ex = Assert.Throws<ArgumentException>(() => new SimulatedLabeler(Table(), new(0.1, 0, "thurstone"), 1));
        Assert.Contains("thurstone", ex.Message);
    }

    [Fact]
    public void Panel_SpreadsLengthBias_AndRanksRoundRobin()
    {
        var panel = LabelerPanel.Simulated(Table(), new(0.1, LengthBias: 0.5), count: 3, seed: 11, lengthBiasSpread: 0.5);
        Assert.Equal([0.0, 0.5, 1.0], panel.Labelers.Select(l => ((SimulatedLabeler)l).Config.LengthBias));

        var fixedPanel = new LabelerPanel([new FixedLabeler([0, 1]), new FixedLabeler([1, 0])]);
        Assert.Equal([0, 1], fixedPanel.Rank("p", ["x", "y"]));
        Assert.Equal([1, 0], fixedPanel.Rank("p", ["x", "y"]));
        Assert.Equal([0, 1], fixedPanel.Rank("p", ["x", "y"]));
        var all = fixedPanel.RankAll("p", ["x", "y"]);
        Assert.Equal(2, all.Length);
        Assert.Equal(0, RankingAgreement.MeanInterLabeler(all));
    }

    private sealed class FixedLabeler(int[] ranking) : ILabeler
    {
        public IReadOnlyList<int> Rank(string prompt, IReadOnlyList<string> completions) => ranking;
    }
}
