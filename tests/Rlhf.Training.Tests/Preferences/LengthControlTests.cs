using Rlhf.Training.Labeling;
using Rlhf.Training.Preferences;

namespace Rlhf.Training.Tests.Preferences;

public sealed class LengthControlTests
{
    [Fact]
    public void LengthMatchedPairs_KeepsPairsWithinTheRatio_AndCountsTheRest()
    {
        // Lengths 10, 12, 20, 10 (the last equal in text to the first); ranking 0 > 1 > 2 > 3 gives 6 pairs.
        string a = new('a', 10), b = new('b', 12), c = new('c', 20);
        var data = new PreferenceData(PreferenceFormat.Ranked, [new RankedCompletions("p", [a, b, c, a], [0, 1, 2, 3], [])]);

        var m = LengthControl.LengthMatchedPairs(data, 1.2);
        Assert.Equal([(a, b), (b, a)], m.Pairs.Select(p => (p.Chosen, p.Rejected))); // 12 / 10 = 1.2 is within
        Assert.Equal((3, 1), (m.Dropped, m.Identical)); // (a,c) (b,c) (c,a) exceed 1.2; (a,a) is no comparison
        m = LengthControl.LengthMatchedPairs(data, 2); // 20 / 10 = 2 is within
        Assert.Equal(5, m.Pairs.Count);
        Assert.Equal((0, 1), (m.Dropped, m.Identical));
        m = LengthControl.LengthMatchedPairs(data, 1);
        Assert.Empty(m.Pairs);
        Assert.Equal((5, 1), (m.Dropped, m.Identical));
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthControl.LengthMatchedPairs(data, 0.9));
    }

    [Fact]
    public void LengthPenalty_WithTheLabelersBias_RecoversTheGoldScore()
    {
        var gold = new LexiconSentimentScorer();
        var labeler = new SimulatedLabeler(gold, new SimulatedLabelerConfig(LengthBias: 1.5), seed: 1);
        string[] completions = ["good", "a long and rather wordy but good answer", "bad"];
        var biased = labeler.BiasedScores("p", completions);
        var penalty = LengthControl.LengthPenalty(1.5);
        for (int i = 0; i < completions.Length; i++)
            Assert.Equal(gold.Score("p", completions[i]), penalty(biased[i], completions[i]), 12);
        Assert.Equal(0.7 - 0.25 * 2, LengthControl.LengthPenalty(0.25)(0.7, new string('x', 200)), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthControl.LengthPenalty(double.NaN));
    }
}
