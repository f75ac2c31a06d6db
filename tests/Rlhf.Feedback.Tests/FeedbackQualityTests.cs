using Rlhf.Feedback.Exchange;
using Rlhf.Feedback.Quality;
using Rlhf.Feedback.Storage;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>Labeler quality (agreement, gold, α, biases), flags and multi-turn tasks through export into the preference parser.</summary>
public sealed class FeedbackQualityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void KrippendorffAlpha_MatchesAHandComputedExample()
    {
        // units [1,1], [1,0], [0,0,0] (and [1] alone: not pairable). Coincidences: o11 = 2 (unit 1), o10 = o01 = 1
        // (unit 2), o00 = 6 ordered pairs / (3 - 1) = 3 (unit 3); n1 = 3, n0 = 4, n = 7;
        // α = 1 - (n - 1) · (o10 + o01) / (2 · n1 · n0) = 1 - 6 · 2 / 24 = 0.5
        Assert.Equal(0.5, Krippendorff.NominalAlpha([[1, 1], [1, 0], [0, 0, 0], [1]])!.Value, 12);
        Assert.Equal(1.0, Krippendorff.NominalAlpha([[1, 1], [0, 0]])!.Value, 12);       // perfect agreement
        Assert.True(Krippendorff.NominalAlpha([[1, 0], [0, 1]]) < 0);                     // systematic disagreement
        Assert.Null(Krippendorff.NominalAlpha([[1, 1], [1, 1]]));                          // no variation: undefined
    }

    private static RankedCompletions Ranked(string prompt, string[] completions, int[] ranking) => new(prompt, completions, ranking, []);

    [Fact]
    public void Quality_PerLabeler_GoldMajorityLengthAndAlpha_AsComputedByHand_ExportDropsBelowThreshold()
    {
        var store = FeedbackStore.Open(_dir.File("q.db"));
        string[] t1 = ["a", "bb"], t2 = ["c", "dd"], t3 = ["e", "ff"], g = ["good", "bad and longer"];
        store.Enqueue([new LabelTaskInput("p1", t1), new LabelTaskInput("p2", t2), new LabelTaskInput("p3", t3), new LabelTaskInput("gold", g, Gold: [0, 1])], "test");
        void Labels(string who, params RankedCompletions[] records) => store.Import(new PreferenceData(PreferenceFormat.Ranked, records), who, "test");
        Labels("alice", Ranked("p1", t1, [0, 1]), Ranked("p2", t2, [0, 1]), Ranked("p3", t3, [1, 0]), Ranked("gold", g, [0, 1]));
        Labels("bob", Ranked("p1", t1, [0, 1]), Ranked("p2", t2, [1, 0]), Ranked("p3", t3, [1, 0]), Ranked("gold", g, [1, 0]));
        Labels("carol", Ranked("p3", t3, [1, 0]));

        var o = store.Overview(labelsPerTask: 2);
        Assert.Equal((3, 1), (o.Tasks, o.GoldTasks));                   // the gold task is not a data task
        var q = o.Labelers.ToDictionary(l => l.Name);
        Assert.Equal((1.0, 1), (q["alice"].GoldAgreement, q["alice"].GoldLabels));
        Assert.Equal(0.0, q["bob"].GoldAgreement);
        Assert.Null(q["carol"].GoldAgreement);
        // only task 3 has >= 2 other labels for anyone; there all three put 1 above 0
        Assert.Equal((1.0, 1.0, 1.0), (q["alice"].MajorityAgreement, q["bob"].MajorityAgreement, q["carol"].MajorityAgreement));
        Assert.Equal((1.0, 0.0, 1.0), (q["alice"].Score, q["bob"].Score, q["carol"].Score)); // gold first, else majority
        // alice preferred the longer text once (task 3) in 4 pairs of different lengths; bob in 3 of 4
        Assert.Equal((0.25, 0.75), (q["alice"].LongerPreferred, q["bob"].LongerPreferred));
        Assert.Equal(0.5, q["alice"].FirstShownChance);
        // α over the units (task, pair 0-1): p1 [1,1], p2 [1,0], p3 [0,0,0], gold [1,0]: o11 = 2, o10 = o01 = 2,
        // o00 = 3; n1 = 4, n0 = 5, n = 9; α = 1 - 8 · 4 / (2 · 4 · 5) = 0.2
        Assert.Equal(0.2, o.Alpha!.Value, 12);

        var all = FeedbackExport.Lines(store.Labels(), o.Labelers, new FeedbackExport.Options());
        Assert.Equal(7, all.Count);                                       // 9 labels less the 2 on the gold task
        var kept = FeedbackExport.Lines(store.Labels(), o.Labelers, new FeedbackExport.Options(MinQuality: 0.5));
        Assert.Equal(4, kept.Count);                                      // bob's 3 data labels dropped
        string path = _dir.File("kept.jsonl");
        Assert.Equal(4, FeedbackExport.Write(store, path, PreferenceFormat.Ranked, minQuality: 0.5));
        Assert.DoesNotContain("\"bob\"", File.ReadAllText(path));
        Assert.Equal(4, PreferenceData.Load(path).Records.Count);
    }

    [Fact]
    public void PositionBias_OfALabelerWhoAlwaysPicksTheFirstCardShown_IsOne()
    {
        var store = FeedbackStore.Open(_dir.File("p.db"));
        store.Enqueue(Enumerable.Range(0, 6).Select(i => new LabelTaskInput($"p{i}", [$"x{i}", $"y{i}", $"z{i}"])), "test");
        var lazy = store.AddLabeler("lazy").Labeler;
        for (int n = 0; n < 6; n++)
        {
            var task = store.NextTask(lazy, 1, TimeSpan.FromMinutes(5))!;
            store.Submit(lazy, task.Id, new LabelSubmission($"s{n}", DisplayOrder.Of(task.Id, lazy.Id, 3), [], ElapsedMs: 500), 1); // the cards as shown
        }
        var q = Assert.Single(store.Overview(1).Labelers);
        Assert.Equal(1.0, q.FirstShownBest);
        Assert.Equal(1 / 3.0, q.FirstShownChance!.Value, 12);
        Assert.Equal(0.5, q.MedianSeconds);
    }

    [Fact]
    public void MultiTurnTaskWithCritiques_AndFlags_ExportAsTheParserReadsThem()
    {
        var store = FeedbackStore.Open(_dir.File("m.db"));
        ChatMessage[] history = [new("user", "Hi, I need a recipe."), new("assistant", "Sure, for what?")];
        store.Enqueue([
            new LabelTaskInput("Pancakes, please.", ["Flour, eggs, milk.", "Buy them.", "Mix bleach in."], history, ["Complete and safe.", null, "Dangerous advice."]),
            new LabelTaskInput("Say hi.", ["hi", "hello", "hey"]),
        ], "test");
        var ann = store.AddLabeler("ann").Labeler;
        var first = store.NextTask(ann, 1, TimeSpan.FromMinutes(5))!;
        Assert.Equal((2, "Sure, for what?"), (first.Messages.Count, first.Messages[1].Content));
        Assert.Equal("Dangerous advice.", first.Critiques![2]);
        // ranked: 2 > 0 > 1, but 2 flagged unsafe: the pairs put it below both safe ones
        store.Submit(ann, first.Id, new LabelSubmission("a1", [2, 0, 1], [], Unsafe: true, ElapsedMs: 900) { UnsafeCompletions = [2], SawCritiques = true }, 1);
        var second = store.NextTask(ann, 1, TimeSpan.FromMinutes(5))!;
        store.Submit(ann, second.Id, new LabelSubmission("a2", [0, 1, 2], [[1, 2]], AllBad: true, ElapsedMs: 700) { SawCritiques = true }, 1);
        var bad = Assert.Throws<FeedbackException>(() => store.Submit(ann, first.Id, new LabelSubmission("a3", [2, 0, 1], [], ElapsedMs: 1) { UnsafeCompletions = [7] }, 1));
        Assert.Contains("'unsafe' index 7 is out of range", bad.Message);

        string ranked = _dir.File("ranked.jsonl"), pairs = _dir.File("pairs.jsonl");
        Assert.Equal(2, FeedbackExport.Write(store, ranked, PreferenceFormat.Ranked));
        string[] lines = File.ReadAllLines(ranked);
        Assert.Contains("\"messages\":[{\"role\":\"user\",\"content\":\"Hi, I need a recipe.\"}", lines[0]);
        Assert.Contains("\"unsafe\":[2]", lines[0]);
        Assert.Contains("\"sawCritiques\":true", lines[0]);
        Assert.DoesNotContain("sawCritiques", lines[1]);                 // the task had no critiques to see
        Assert.Contains("\"allBad\":true", lines[1]);
        var data = PreferenceData.Load(ranked).Records;
        Assert.Equal("Hi, I need a recipe.\nAssistant: Sure, for what?\nUser: Pancakes, please.", data[0].Prompt);
        Assert.Equal([2], data[0].Unsafe);
        Assert.Equal([(0, 1), (0, 2), (1, 2)], data[0].Pairs().Select(p => (p.Better, p.Worse)));
        Assert.True(data[1].AllBad);
        Assert.Empty(data[1].Pairs());

        Assert.Equal(3, FeedbackExport.Write(store, pairs, PreferenceFormat.Pairwise)); // all-bad gives none
        var pairRecords = PreferenceData.Load(pairs).Records;
        Assert.All(pairRecords, r => Assert.Equal(data[0].Prompt, r.Prompt));
        Assert.All(pairRecords, r => Assert.NotEqual("Mix bleach in.", r.Completions[r.Ranking[0]])); // never chosen
    }
}
