using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.Tests.Preferences;

/// <summary>The label app's flags in the ranked format: "allBad" gives no pairs, "unsafe" completions lose to every safe one.</summary>
public sealed class RankedFlagsTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static (int, int)[] PairsOf(RankedCompletions r) => [.. r.Pairs().Select(p => (p.Better, p.Worse))];

    [Fact]
    public void AllBad_GivesNoPairs()
    {
        var r = new RankedCompletions("q", ["a", "b", "c"], [2, 0, 1], []) { AllBad = true };
        Assert.Null(r.Validate());
        Assert.Empty(r.Pairs());
    }

    [Fact]
    public void Unsafe_MovesBelowEverySafeCompletion_AndBreaksATieWithASafeOne()
    {
        // ranked 2 > 0 > 1 > 3, with 2 unsafe: effective order 0 > 1 > 3 > 2
        var r = new RankedCompletions("q", ["a", "b", "c", "d"], [2, 0, 1, 3], []) { Unsafe = [2] };
        Assert.Equal([(0, 1), (0, 3), (0, 2), (1, 3), (1, 2), (3, 2)], PairsOf(r));
        Assert.All(r.Pairs(), p => Assert.Equal(1 / 6.0, p.Weight, 12));
        // 0 and 1 tied, 1 unsafe: the tie is broken for the safe one; tied unsafe pairs stay tied
        var tied = new RankedCompletions("q", ["a", "b", "c"], [0, 1, 2], [[0, 1]]) { Unsafe = [1] };
        Assert.Equal([(0, 2), (0, 1), (2, 1)], PairsOf(tied));
        Assert.Contains("'unsafe' index 5 is out of range", new RankedCompletions("q", ["a", "b"], [0, 1], []) { Unsafe = [5] }.Validate());
    }

    [Fact]
    public void Parser_ReadsTheFlags_AndTheLabelAppsMetadata_AndRefusesBadOnes()
    {
        string path = _tmp.File("flags.jsonl");
        File.WriteAllText(path, """
            {"prompt": "q", "completions": ["a", "b", "c"], "ranking": [2, 0, 1], "unsafe": [2], "labeler": "ann", "sawCritiques": true}
            {"prompt": "q", "completions": ["a", "b"], "ranking": [0, 1], "allBad": true}
            """);
        var records = PreferenceData.Load(path).Records;
        Assert.Equal([2], records[0].Unsafe);
        Assert.True(records[1].AllBad);
        // the first record gives 0 > 1, 0 > 2, 1 > 2 (2 is unsafe: last), the all-bad one none
        Assert.Equal([("a", "b"), ("a", "c"), ("b", "c")], PreferenceData.Load(path).ExpandPairs().Select(p => (p.Pair.Chosen, p.Pair.Rejected)));
    }

    [Fact]
    public void Parser_RefusesAFlagOfTheWrongType()
    {
        string path = _tmp.File("bad.jsonl");
        File.WriteAllText(path, """{"prompt": "q", "completions": ["a", "b"], "ranking": [0, 1], "allBad": "yes"}""" + "\n");
        Assert.Contains("field 'allBad' is", Assert.Throws<DataFormatException>(() => PreferenceData.Load(path)).Message);
    }
}
