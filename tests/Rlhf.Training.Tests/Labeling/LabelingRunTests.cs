using System.Text.Json;
using Rlhf.Training.Data;
using Rlhf.Training.Labeling;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.Tests.Labeling;

public sealed class LabelingRunTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    // Lexicon raw scores 2, 1, 0, -1, -2 in that order, listed shuffled per prompt so index order is not the answer.
    private static readonly string[] Graded = ["a great lovely day", "a good day", "an ordinary day", "a bad day", "an awful terrible day"];

    private static List<CompletionGroup> GradedGroups(int n)
    {
        var groups = new List<CompletionGroup>();
        for (int p = 0; p < n; p++)
            groups.Add(new CompletionGroup($"How was day {p}?", [.. Enumerable.Range(0, Graded.Length).Select(i => Graded[(i * 2 + p) % Graded.Length])]));
        return groups;
    }

    private string WriteInput(IEnumerable<CompletionGroup> groups)
    {
        string path = _tmp.File($"in{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, groups.Select(g => JsonSerializer.Serialize(new { prompt = g.Prompt, completions = g.Completions })));
        return path;
    }

    [Fact]
    public void Run_AtTemperatureZero_WritesALoadableFile_InLexiconGoldOrder()
    {
        var groups = GradedGroups(7);
        string input = WriteInput(groups), output = _tmp.File("ranked.jsonl");
        var summary = LabelingRun.Run(input, output, new LabelingOptions(new SimulatedLabelerConfig(Temperature: 0)));

        var data = PreferenceData.Load(output);
        Assert.Equal(PreferenceFormat.Ranked, data.Format);
        Assert.Equal(7, data.Records.Count);
        for (int p = 0; p < groups.Count; p++)
        {
            var r = data.Records[p];
            Assert.Equal(groups[p].Prompt, r.Prompt);
            Assert.Equal(groups[p].Completions, r.Completions);
            Assert.Equal(Graded, r.Ranking.Select(i => r.Completions[i]));
            Assert.Empty(r.Ties);
        }
        Assert.Equal((7, 3, 70), (summary.Records, summary.Labelers, summary.Pairs));
        Assert.Equal(1.0, summary.InterLabelerAgreement);
        Assert.Equal(1.0, summary.GoldCeiling);
        Assert.Equal(1.0, summary.LabelsGoldAgreement);
        Assert.Null(summary.LengthMatchedKept);
    }

    [Fact]
    public void Label_NoisyLabelers_AgreementsInRange_DeterministicPerSeed()
    {
        var groups = GradedGroups(60);
        var options = new LabelingOptions(new SimulatedLabelerConfig(Temperature: 0.5), Labelers: 4, Seed: 7);
        var (a, sa) = LabelingRun.Label(groups, options);
        var (b, sb) = LabelingRun.Label(groups, options);
        var (c, _) = LabelingRun.Label(groups, options with { Seed = 8 });

        Assert.Equal(sa, sb);
        Assert.Equal(a.Records.Select(r => r.Ranking.ToArray()), b.Records.Select(r => r.Ranking.ToArray()));
        Assert.NotEqual(a.Records.Select(r => r.Ranking.ToArray()), c.Records.Select(r => r.Ranking.ToArray()));
        // Noise at T = 0.5 on gold gaps of ~0.2-0.4: well above chance (0.5), well below perfect.
        foreach (var v in new[] { sa.InterLabelerAgreement, sa.GoldCeiling, sa.LabelsGoldAgreement })
        {
            Assert.NotNull(v);
            Assert.InRange(v.Value, 0.55, 0.97);
        }
        Assert.Equal(60, sa.AgreementSample);
    }

    [Fact]
    public void Label_OneLabeler_HasNoInterLabelerAgreement()
    {
        var (_, s) = LabelingRun.Label(GradedGroups(3), new LabelingOptions(new SimulatedLabelerConfig(), Labelers: 1));
        Assert.Null(s.InterLabelerAgreement);
        Assert.NotNull(s.GoldCeiling);
    }

    [Fact]
    public void Label_LengthBias_RaisesBetterIsLongerFraction()
    {
        // The short answer has the better gold score; the long one is neutral and 40-80 characters longer.
        var groups = Enumerable.Range(0, 40).Select(p => new CompletionGroup($"Tell me about {p}.",
            [$"good {p}", $"it was a day like any other, nothing to report about item number {p}" + new string('.', p)])).ToList();
        var unbiased = LabelingRun.Label(groups, new LabelingOptions(new SimulatedLabelerConfig(Temperature: 0.1))).Summary;
        var biased = LabelingRun.Label(groups, new LabelingOptions(new SimulatedLabelerConfig(Temperature: 0.1, LengthBias: 3))).Summary;
        Assert.True(unbiased.ChosenLongerFraction < 0.1, $"unbiased {unbiased.ChosenLongerFraction}");
        Assert.True(biased.ChosenLongerFraction > 0.9, $"biased {biased.ChosenLongerFraction}");
        Assert.True(biased.LabelsGoldAgreement < 0.1, $"biased labels vs gold {biased.LabelsGoldAgreement}");
    }

    [Fact]
    public void Run_LengthMatched_WritesFilteredPairwiseFile()
    {
        var groups = new List<CompletionGroup> { new("p", ["good", "bad!", "a much longer bad answer"]) };
        string input = WriteInput(groups), output = _tmp.File("pairs.jsonl");
        var s = LabelingRun.Run(input, output, new LabelingOptions(new SimulatedLabelerConfig(Temperature: 0), LengthMatchedRatio: 1.5));
        var data = PreferenceData.Load(output);
        Assert.Equal(PreferenceFormat.Pairwise, data.Format);
        var pair = Assert.Single(data.ExpandPairs()).Pair;
        Assert.Equal(("good", "bad!"), (pair.Chosen, pair.Rejected));
        Assert.Equal((1, 1, 2, 0), (s.Pairs, s.LengthMatchedKept, s.LengthMatchedDropped, s.IdenticalDropped));
    }

    [Theory]
    [InlineData("""{"prompt": "p", "completions": ["only one"]}""", "expected at least 2 completions")]
    [InlineData("""{"prompt": "p", "completions": ["a", " "]}""", "completion 1 must be non-empty text")]
    [InlineData("""{"prompt": "p", "completions": ["a", "b"]""", "invalid JSON")]
    [InlineData("""{"prompt": "p"}""", "missing required field 'completions'")]
    [InlineData("""{"completions": ["a", "b"]}""", "missing required field 'prompt'")]
    public void Run_BadInput_ThrowsWithPathLine_AndWritesNothing(string badLine, string expected)
    {
        string input = _tmp.File($"bad{Guid.NewGuid():N}.jsonl"), output = _tmp.File($"out{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(input, """{"prompt": "ok", "completions": ["a", "b"]}""" + "\n" + badLine + "\n");
        var e = Assert.Throws<DataFormatException>(() => LabelingRun.Run(input, output, new LabelingOptions(new SimulatedLabelerConfig())));
        Assert.StartsWith($"{input}:2: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Run_EmptyFile_IsAnError()
    {
        string input = _tmp.File("empty.jsonl");
        File.WriteAllText(input, "\n");
        var e = Assert.Throws<DataFormatException>(() => LabelingRun.Run(input, _tmp.File("o.jsonl"), new LabelingOptions(new SimulatedLabelerConfig())));
        Assert.StartsWith($"{input}:1: ", e.Message);
    }
}
