using Rlhf.Models.Tokenization;
using Rlhf.Training.Data;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.Tests.Preferences;

public sealed class PreferenceDataTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Write(params string[] lines)
    {
        string path = _tmp.File($"p{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private static RankedCompletions Ranked(int k, int[]? ranking = null, params int[][] ties) =>
        new("p", [.. Enumerable.Range(0, k).Select(i => $"c{i}")], ranking ?? [.. Enumerable.Range(0, k)], ties);

    [Fact]
    public void Pairs_KOf5_GivesAll10OrderedPairsWeightedOneTenth()
    {
        var pairs = Ranked(5, [3, 1, 4, 0, 2]).Pairs();
        Assert.Equal(10, pairs.Count);
        Assert.Equal((3, 1), (pairs[0].Better, pairs[0].Worse));
        Assert.Equal((0, 2), (pairs[^1].Better, pairs[^1].Worse));
        Assert.All(pairs, p => Assert.Equal(0.1, p.Weight, 12));
        Assert.Equal(10, pairs.Select(p => (p.Better, p.Worse)).Distinct().Count());
    }

    [Fact]
    public void Pairs_WithATieGroup_DropTiedPairs_AndWeightsSumToOne()
    {
        var record = Ranked(5, [0, 1, 2, 3, 4], [2, 1]);
        var pairs = record.Pairs();
        Assert.Equal(9, pairs.Count);
        Assert.DoesNotContain(pairs, p => (p.Better, p.Worse) is (1, 2) or (2, 1));
        Assert.Equal(1.0, pairs.Sum(p => p.Weight), 12);
        Assert.Equal(1, record.TiedPairCount());

        var three = Ranked(5, [4, 0, 1, 2, 3], [0, 1, 2]).Pairs(); // 10 - C(3,2)
        Assert.Equal(7, three.Count);
        Assert.Equal(1.0, three.Sum(p => p.Weight), 12);
        Assert.Single(new PreferencePair("p", "a", "b").ToRanked().Pairs(), p => p is { Better: 0, Worse: 1, Weight: 1.0 });
    }

    [Fact]
    public void Load_Pairwise_And_Ranked()
    {
        var pairs = PreferenceData.Load(Write(
            """{"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away"}""", "",
            """{"prompt": "2+2?", "chosen": "4", "rejected": "5"}"""));
        Assert.Equal(PreferenceFormat.Pairwise, pairs.Format);
        Assert.Equal(2, pairs.Records.Count);
        Assert.Equal([(new PreferencePair("Hi", "Hello!", "Go away"), 1.0), (new PreferencePair("2+2?", "4", "5"), 1.0)], pairs.ExpandPairs());

        var ranked = PreferenceData.Load(Write("""{"prompt": "q", "completions": ["a", "b", "c"], "ranking": [2, 0, 1], "ties": [[0, 1]]}"""));
        Assert.Equal(PreferenceFormat.Ranked, ranked.Format);
        var r = Assert.Single(ranked.Records);
        Assert.Equal([2, 0, 1], r.Ranking);
        Assert.Equal([0, 1], Assert.Single(r.Ties));
        Assert.Equal([("c", "a"), ("c", "b")], ranked.ExpandPairs().Select(p => (p.Pair.Chosen, p.Pair.Rejected)));
    }

    [Fact]
    public void Load_Messages_FlattenToTheChatTemplatePrompt()
    {
        var data = PreferenceData.Load(Write(
            """{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Joke?"}], "chosen": [{"role": "assistant", "content": "Knock knock."}], "rejected": "No."}""",
            // TRL implicit prompt: full conversations in chosen/rejected, the shared prefix is the prompt
            """{"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "good"}], "rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "bad"}]}""",
            """{"prompt": [{"role": "user", "content": "K"}], "chosen": "x", "rejected": [{"role": "assistant", "content": "y"}]}"""));
        var (first, _) = data.ExpandPairs().First();
        Assert.Equal("Hi\nAssistant: Hello.\nUser: Joke?", first.Prompt);
        Assert.Equal("User: Hi\nAssistant: Hello.\nUser: Joke?\nAssistant:", ChatTemplate.FormatPrompt(first.Prompt));
        Assert.Equal(("Knock knock.", "No."), (first.Chosen, first.Rejected));
        Assert.Equal(new PreferencePair("Q", "good", "bad"), data.ExpandPairs().ElementAt(1).Pair);
        Assert.Equal("K", data.Records[2].Prompt);
    }

    [Theory]
    [InlineData("""{"prompt": "q", "completions": ["a", "b", "c"], "ranking": [0, 1, 1]}""", "'ranking' lists index 1 twice")]
    [InlineData("""{"prompt": "q", "completions": ["a", "b", "c"], "ranking": [0, 2]}""", "'ranking' misses index 1")]
    [InlineData("""{"prompt": "q", "completions": ["a", "b", "c"], "ranking": [0, 1, 3]}""", "'ranking' index 3 is out of range")]
    [InlineData("""{"prompt": "q", "completions": ["a", "b"], "ranking": [0, 1.5]}""", "'ranking' holds a number (1.5); expected integer indices")]
    [InlineData("""{"prompt": "q", "completions": ["a"], "ranking": [0]}""", "expected at least 2 completions to rank, found 1")]
    [InlineData("""{"prompt": "q", "completions": ["a", " "], "ranking": [0, 1]}""", "completion 1 must be non-empty text")]
    [InlineData("""{"prompt": "", "chosen": "a", "rejected": "b"}""", "field 'prompt' must be non-empty text")]
    [InlineData("""{"prompt": "q", "chosen": "a", "rejected": ""}""", "field 'rejected' must be non-empty text")]
    [InlineData("""{"prompt": "q", "chosen": "a", "rejected": "a"}""", "'chosen' and 'rejected' are the same text")]
    [InlineData("""{"prompt": "q", "chosen": "a", "rejected": "b", "score": 3}""", "unknown field 'score'")]
    [InlineData("""{"prompt": "q", "chosen": "a"}""", "missing required field 'rejected'")]
    [InlineData("""{"chosen": "a", "rejected": "b"}""", "missing required field 'prompt'")]
    [InlineData("""{"prompt": "q", "completions": ["a", "b", "c"], "ranking": [0, 1, 2], "ties": [[0, 2]]}""", "tie group 0 [0, 2] is not adjacent in the ranking")]
    [InlineData("""{"prompt": "q", "completions": ["a", "b", "c"], "ranking": [0, 1, 2], "ties": [[1, 5]]}""", "tie group 0: index 5 is out of range")]
    [InlineData("""{"prompt": "q", "completions": ["a", "b", "c"], "ranking": [0, 1, 2], "ties": [[0, 1], [1, 2]]}""", "tie group 1: index 1 is already in a tie group")]
    [InlineData("""{"prompt": "q", "completions": ["a", "b"], "ranking": [0, 1], "ties": [[0, 1]]}""", "all completions are tied")]
    [InlineData("""{"messages": [{"role": "system", "content": "s"}], "chosen": "a", "rejected": "b"}""", "messages[0]: role 'system' is not supported")]
    [InlineData("""{"prompt": "q", "chosen": [{"role": "user", "content": "a"}], "rejected": "b"}""", "chosen: the last message must be the assistant's")]
    [InlineData("""{"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "a"}], "rejected": [{"role": "user", "content": "R"}, {"role": "assistant", "content": "b"}]}""", "chosen and rejected continue different conversations")]
    [InlineData("""{"prompt": "q", "response": "a"}""", "expected a pairwise record")]
    [InlineData("""[1, 2]""", "expected a JSON object, found an array")]
    [InlineData("""{"prompt": "q", "chosen": "a", "rejected": "b", "chosen": "c"}""", "expected each field once per object")]
    public void Load_BadRecord_NamesFileLineAndProblem(string record, string problem)
    {
        string valid = record.Contains("completions")
            ? """{"prompt": "ok", "completions": ["x", "y"], "ranking": [1, 0]}"""
            : """{"prompt": "ok", "chosen": "x", "rejected": "y"}""";
        string path = Write(valid, record); // line 1 is valid (and sets the format), line 2 is the bad one
        var e = Assert.Throws<DataFormatException>(() => PreferenceData.Load(path));
        Assert.StartsWith($"{path}:2: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Load_MixedFormats_AndEmptyFile_AreErrors()
    {
        string path = Write("""{"prompt": "q", "chosen": "a", "rejected": "b"}""", """{"prompt": "q", "completions": ["a", "b"], "ranking": [0, 1]}""");
        var e = Assert.Throws<DataFormatException>(() => PreferenceData.Load(path));
        Assert.Equal($"{path}:2: a ranked record in a pairwise file (line 1 set the format; one format per file)", e.Message);
        Assert.Contains("empty file", Assert.Throws<DataFormatException>(() => PreferenceData.Load(Write(""))).Message);
    }

    [Fact]
    public void Split_KeepsPromptsTogether_IsDeterministic_AndOrderIndependent()
    {
        var records = Enumerable.Range(0, 40).Select(i => Ranked(2) with { Prompt = $"prompt {i % 20}", Completions = [$"a{i}", $"b{i}"] }).ToList();
        var data = new PreferenceData(PreferenceFormat.Ranked, records);
        var (train, eval) = data.Split(0.25, seed: 7);
        Assert.Equal(5, eval.Records.Select(r => r.Prompt).Distinct().Count());
        Assert.Equal(40, train.Records.Count + eval.Records.Count);
        Assert.Empty(train.Records.Select(r => r.Prompt).Intersect(eval.Records.Select(r => r.Prompt)));

        var reversed = new PreferenceData(PreferenceFormat.Ranked, [.. Enumerable.Reverse(records)]).Split(0.25, seed: 7);
        Assert.Equal(eval.Records.Select(r => r.Prompt).ToHashSet(), reversed.Eval.Records.Select(r => r.Prompt).ToHashSet());
        var other = data.Split(0.25, seed: 8).Eval.Records.Select(r => r.Prompt).ToHashSet();
        Assert.NotEqual(eval.Records.Select(r => r.Prompt).ToHashSet(), other);
        Assert.Empty(data.Split(0, 1).Eval.Records);
    }

    [Fact]
    public void Dedupe_DropsIdenticalRecords_KeepsDifferentRankings()
    {
        var data = new PreferenceData(PreferenceFormat.Ranked,
            [Ranked(3), Ranked(3, [2, 1, 0]), Ranked(3), Ranked(3, null, [0, 1]), Ranked(3) with { Prompt = "q" }]);
        var (kept, removed) = data.Dedupe();
        Assert.Equal(1, removed);
        Assert.Equal(4, kept.Records.Count);
        Assert.Same(data.Records[1], kept.Records[1]);
    }

    [Fact]
    public void Stats_OnAHandMadeFile()
    {
        var data = PreferenceData.Load(Write(
            """{"prompt": "a", "completions": ["xxxx", "yy", "z"], "ranking": [0, 1, 2]}""",
            """{"prompt": "b", "completions": ["1", "22", "333", "4444"], "ranking": [3, 2, 1, 0], "ties": [[2, 1]]}""",
            """{"prompt": "a", "completions": ["xxxx", "yy", "z"], "ranking": [0, 1, 2]}"""));
        var s = PreferenceStats.Compute(data);
        Assert.Equal((3, 2, 1, 3 + 5 + 3, 1, 1), (s.Records, s.Prompts, s.Duplicates, s.Pairs, s.TieGroups, s.TiedPairs));
        Assert.Equal(new Dictionary<int, int> { [3] = 2, [4] = 1 }, s.KDistribution);
        // record a (twice): chosen 4,4,2 vs rejected 2,1,1; record b pairs (3,2)(3,1)(3,0)(2,0)(1,0): chosen 4,4,4,3,2 vs 3,2,1,1,1
        int[] chosen = [4, 4, 2, 4, 4, 2, 4, 4, 4, 3, 2], rejected = [2, 1, 1, 2, 1, 1, 3, 2, 1, 1, 1];
        Assert.Equal(chosen.Average(), s.ChosenCharsMean, 12);
        Assert.Equal(rejected.Average(), s.RejectedCharsMean, 12);
        Assert.Equal((4.0, 1.0), (s.ChosenCharsMedian, s.RejectedCharsMedian));
        Assert.Equal(1.0, s.ChosenLongerFraction);
    }
}
