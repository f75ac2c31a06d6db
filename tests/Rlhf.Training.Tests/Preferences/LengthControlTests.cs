using Rlhf.Training.Labeling;
using Rlhf.Data.Preferences;

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
}
