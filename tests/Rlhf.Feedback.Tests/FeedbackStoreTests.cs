using Microsoft.Data.Sqlite;
using Rlhf.Feedback.Exchange;
using Rlhf.Feedback.Storage;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>The SQLite store: schema and migrations, idempotent submit, validation, leases, import/export, agreement.</summary>
public sealed class FeedbackStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly CompletionGroup[] Groups =
    [
        new("How was your day?", ["Wonderful, thanks!", "bad.", "It was okay.", "Terrible and long."]),
        new("Describe the film.", ["Gripping.", "Boring.", "Meh."]),
        new("Say hi.", ["hi", "hello there"]),
    ];

    private (FeedbackStore Store, Labeler Alice, Labeler Bob) Seeded(TimeProvider? clock = null)
    {
        var store = FeedbackStore.Open(_dir.File("labels.db"), clock);
        store.Enqueue(Groups, "test");
        return (store, store.AddLabeler("alice", isAdmin: true).Labeler, store.AddLabeler("bob").Labeler);
    }

    [Fact]
    public void Open_CreatesCurrentSchema_InWalMode_AndReopeningChangesNothing()
    {
        var (store, _, _) = Seeded();
        Assert.Equal(FeedbackStore.CurrentSchemaVersion, store.SchemaVersion());
        Assert.Equal(2, FeedbackStore.CurrentSchemaVersion);
        Assert.Equal("wal", store.JournalMode());
        string before = Snapshot.Of(store.Path);
        var again = FeedbackStore.Open(store.Path);
        Assert.Equal(before, Snapshot.Of(again.Path));
        Assert.Equal((0, 3), again.Enqueue(Groups, "test")); // same groups again: idempotent enqueue
    }

    [Fact]
    public void Open_MigratesAVersion1Database_KeepingItsLabels()
    {
        string path = _dir.File("v1.db");
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = SchemaMigrations.All[0] + """
                PRAGMA user_version = 1;
                INSERT INTO labelers VALUES (1, 'old', 'x', 0, 't');
                INSERT INTO tasks VALUES (1, 'p', '["a","b"]', 2, 's', 'k1', 't'), (2, 'q', '["c","d"]', 2, 's', 'k2', 't');
                INSERT INTO labels VALUES (1, 1, 1, 'sub', '[1,0]', '[]', 0, 0, 't');
                """;
            cmd.ExecuteNonQuery();
        }
        var store = FeedbackStore.Open(path);
        Assert.Equal(2, store.SchemaVersion());
        var label = Assert.Single(store.Labels());
        Assert.Equal([1, 0], label.Ranking);
        Assert.Null(label.ElapsedMs);
        var overview = store.Overview(labelsPerTask: 1);
        Assert.Equal((2, 1, 1), (overview.Tasks, overview.TasksComplete, overview.TasksRemaining)); // label_count was backfilled
    }

    [Fact]
    public void Open_NewerSchema_IsRefused_Untouched()
    {
        string path = _dir.File("future.db");
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 99";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<InvalidDataException>(() => FeedbackStore.Open(path));
        Assert.Contains("schema version 99 is newer than this program's 2", e.Message);
    }

    [Fact]
    public void Submit_RetryWithSameId_StoresOnce_DifferentContentOrSecondLabel_IsConflict()
    {
        var (store, alice, bob) = Seeded();
        var first = store.Submit(alice, 1, new LabelSubmission("s-1", [2, 0, 1, 3], [[0, 1]], AllBad: true, ElapsedMs: 1500));
        Assert.False(first.Duplicate);
        var retry = store.Submit(alice, 1, new LabelSubmission("s-1", [2, 0, 1, 3], [[0, 1]], AllBad: true, ElapsedMs: 1999));
        Assert.Equal(new SubmitResult(first.LabelId, Duplicate: true), retry);
        string before = Snapshot.Of(store.Path);

        var changed = Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, new LabelSubmission("s-1", [0, 1, 2, 3], [])));
        Assert.Equal(FeedbackError.Conflict, changed.Error);
        Assert.Contains("already used for a different label", changed.Message);
        var stolen = Assert.Throws<FeedbackException>(() => store.Submit(bob, 1, new LabelSubmission("s-1", [2, 0, 1, 3], [[0, 1]], AllBad: true)));
        Assert.Equal(FeedbackError.Conflict, stolen.Error);
        var second = Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, new LabelSubmission("s-2", [0, 1, 2, 3], [])));
        Assert.Contains("alice has already labeled task 1", second.Message);
        Assert.Equal(before, Snapshot.Of(store.Path));

        var label = Assert.Single(store.Labels());
        Assert.Equal([2, 0, 1, 3], label.Ranking);
        Assert.Equal((true, false, 1500L), (label.AllBad, label.Unsafe, label.ElapsedMs));
        Assert.Equal([0, 1], Assert.Single(label.Ties));
    }

    [Theory]
    [InlineData(9, "s", new[] { 0, 1 }, "task 9 does not exist", FeedbackError.NotFound)]
    [InlineData(1, "s", new[] { 0, 1, 2 }, "'ranking' misses index 3 (expected a permutation of 0..3)", FeedbackError.Invalid)]
    [InlineData(1, "s", new[] { 0, 1, 2, 2 }, "'ranking' lists index 2 twice", FeedbackError.Invalid)]
    [InlineData(1, "s", new[] { 0, 1, 2, 4 }, "'ranking' index 4 is out of range", FeedbackError.Invalid)]
    [InlineData(2, "bad id!", new[] { 0, 1, 2 }, "'submissionId' must be", FeedbackError.Invalid)]
    [InlineData(2, "", new[] { 0, 1, 2 }, "'submissionId' must be", FeedbackError.Invalid)]
    public void Submit_BadInput_IsRefusedWithItsReason_DatabaseUnchanged(long task, string id, int[] ranking, string expected, FeedbackError error)
    {
        var (store, alice, _) = Seeded();
        string before = Snapshot.Of(store.Path);
        var e = Assert.Throws<FeedbackException>(() => store.Submit(alice, task, new LabelSubmission(id, ranking, [])));
        Assert.Equal(error, e.Error);
        Assert.Contains(expected, e.Message);
        Assert.Equal(before, Snapshot.Of(store.Path));
    }

    [Fact]
    public void Submit_BadTies_AreRefused_WithTheFormatsMessages()
    {
        var (store, alice, _) = Seeded();
        Assert.Contains("is not adjacent in the ranking", Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, new LabelSubmission("a", [0, 1, 2, 3], [[0, 2]]))).Message);
        Assert.Contains("all completions are tied", Assert.Throws<FeedbackException>(() => store.Submit(alice, 3, new LabelSubmission("a", [0, 1], [[0, 1]]))).Message);
        Assert.Empty(store.Labels());
    }

    [Fact]
    public void NextTask_LeasesKeepConcurrentLabelersApart_UntilTheLeaseExpires()
    {
        var clock = new ManualClock();
        var (store, alice, bob) = Seeded(clock);
        var lease = TimeSpan.FromMinutes(10);
        var a = store.NextTask(alice, 1, lease)!;
        Assert.Equal(1, a.Id);
        Assert.Equal(1, store.NextTask(alice, 1, lease)!.Id);  // a reload shows the same task
        Assert.Equal(2, store.NextTask(bob, 1, lease)!.Id);    // alice holds task 1
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1, store.NextTask(bob, 1, lease)!.Id);    // alice's lease expired: task 1 is open again
        store.Submit(alice, 1, new LabelSubmission("a1", [0, 1, 2, 3], []));
        Assert.Equal(new LabelerProgress("alice", true, 1, 2), store.Progress(alice, 1));
        Assert.Equal(new LabelerProgress("bob", false, 0, 2), store.Progress(bob, 1));
    }

    [Fact]
    public void NextTask_WithTwoLabelsPerTask_ShowsATaskToBoth_AndAgreementIsMeasured()
    {
        var (store, alice, bob) = Seeded();
        var lease = TimeSpan.FromMinutes(10);
        Assert.Equal(1, store.NextTask(alice, 2, lease)!.Id);
        Assert.Equal(1, store.NextTask(bob, 2, lease)!.Id);
        store.Submit(alice, 1, new LabelSubmission("a1", [0, 1, 2, 3], []));
        store.Submit(bob, 1, new LabelSubmission("b1", [1, 0, 2, 3], []));
        Assert.Equal(2, store.NextTask(alice, 2, lease)!.Id);
        var o = store.Overview(labelsPerTask: 2);
        Assert.Equal((3, 1, 2, 2), (o.Tasks, o.TasksComplete, o.TasksRemaining, o.Labels));
        Assert.Equal(1, o.AgreementTasks);
        Assert.Equal(5 / 6.0, o.MeanAgreement!.Value, 12); // one of C(4,2) = 6 pairs swapped
        Assert.Equal(RankingAgreement.PairwiseAgreement([0, 1, 2, 3], [1, 0, 2, 3]), o.MeanAgreement.Value, 12);
        Assert.Equal(["alice", "bob"], o.Labelers.Select(l => l.Name));
    }

    [Fact]
    public void ExportThenImport_RoundTrips_ThroughTheRewardModelsParser_AndImportIsIdempotent()
    {
        var (store, alice, bob) = Seeded();
        store.Submit(alice, 1, new LabelSubmission("a1", [3, 1, 0, 2], [[1, 0]], ElapsedMs: 2000));
        store.Submit(bob, 2, new LabelSubmission("b2", [2, 0, 1], [], Unsafe: true));
        string ranked = _dir.File("rankings.jsonl"), pairs = _dir.File("pairs.jsonl");
        Assert.Equal(2, FeedbackExport.Write(store, ranked, PreferenceFormat.Ranked));
        var data = PreferenceData.Load(ranked);
        Assert.Equal(PreferenceFormat.Ranked, data.Format);
        Assert.Equal([3, 1, 0, 2], data.Records[0].Ranking);
        Assert.Equal([1, 0], Assert.Single(data.Records[0].Ties));
        Assert.Equal(Groups[0].Completions, data.Records[0].Completions);
        Assert.Equal(Groups[1].Prompt, data.Records[1].Prompt);
        // pairwise: 5 pairs from the first label (6 minus the tied one), 3 from the second
        Assert.Equal(8, FeedbackExport.Write(store, pairs, PreferenceFormat.Pairwise));
        Assert.Equal(("Terrible and long.", "bad."), (PreferenceData.Load(pairs).Records[0].Completions[0], PreferenceData.Load(pairs).Records[0].Completions[1]));
        Assert.Equal(1, FeedbackExport.Write(store, ranked, PreferenceFormat.Ranked, excludeFlagged: true));

        var other = FeedbackStore.Open(_dir.File("other.db"));
        FeedbackExport.Write(store, ranked, PreferenceFormat.Ranked);
        Assert.Equal((2, 0, 0), FeedbackImport.Run(other, ranked, "team-b"));
        Assert.Equal((0, 2, 0), FeedbackImport.Run(other, ranked, "team-b"));
        string back = _dir.File("back.jsonl");
        FeedbackExport.Write(other, back, PreferenceFormat.Ranked);
        Assert.Equal(File.ReadAllText(ranked), File.ReadAllText(back));
    }

    [Fact]
    public void Import_BadLine_NamesFileAndLine_AndWritesNothing()
    {
        var (store, _, _) = Seeded();
        string before = Snapshot.Of(store.Path);
        string bad = _dir.File("bad.jsonl");
        File.WriteAllText(bad, """
            {"prompt": "p", "completions": ["a", "b"], "ranking": [1, 0]}
            {"prompt": "p", "completions": ["a", "b"], "ranking": [1, 1]}
            """);
        var e = Assert.Throws<DataFormatException>(() => FeedbackImport.Run(store, bad, "x"));
        Assert.StartsWith($"{bad}:2: 'ranking' lists index 1 twice", e.Message);
        Assert.Equal(before, Snapshot.Of(store.Path));
    }

    [Fact]
    public void Tokens_AreStoredHashed_AndAuthenticateTheirLabelerOnly()
    {
        var store = FeedbackStore.Open(_dir.File("t.db"));
        var (carol, token) = store.AddLabeler("carol");
        Assert.Equal(carol, store.Authenticate(token));
        Assert.DoesNotContain(token, Snapshot.Of(store.Path));
        Assert.Equal(FeedbackError.Unauthorized, Assert.Throws<FeedbackException>(() => store.Authenticate(token + "x")).Error);
        Assert.Equal(FeedbackError.Unauthorized, Assert.Throws<FeedbackException>(() => store.Authenticate(null)).Error);
        Assert.Equal(FeedbackError.Conflict, Assert.Throws<FeedbackException>(() => store.AddLabeler("carol")).Error);
    }
}
