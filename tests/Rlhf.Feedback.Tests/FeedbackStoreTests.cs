using Microsoft.Data.Sqlite;
using Rlhf.Feedback.Exchange;
using Rlhf.Feedback.Storage;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>
/// The store on both backends (SQLite and PostgreSQL, <see cref="BackendDataAttribute"/>): schema and migrations,
/// idempotent submit bound to leases, validation, revocation, import/export, agreement.
/// </summary>
public sealed class FeedbackStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<TestDatabase> _databases = [];

    public void Dispose()
    {
        foreach (var db in _databases) db.Dispose();
        _dir.Dispose();
    }

    private static LabelSubmission Label(string id, int[] ranking, int[][]? ties = null, bool allBad = false, bool @unsafe = false, long elapsedMs = 1000) =>
        new(id, ranking, ties ?? [], allBad, @unsafe, elapsedMs);

    private FeedbackStore NewStore(Backend backend, TimeProvider? clock = null, string name = "labels")
    {
        var db = TestDatabase.Create(backend, name);
        _databases.Add(db);
        return db.Open(clock);
    }

    /// <summary>Hands <paramref name="labeler"/> their next task and checks it is <paramref name="expected"/>.</summary>
    private static void Lease(FeedbackStore store, Labeler labeler, long expected, int labelsPerTask = 1) =>
        Assert.Equal(expected, store.NextTask(labeler, labelsPerTask, TimeSpan.FromMinutes(10))!.Id);

    private static readonly CompletionGroup[] Groups =
    [
        new("How was your day?", ["Wonderful, thanks!", "bad.", "It was okay.", "Terrible and long."]),
        new("Describe the film.", ["Gripping.", "Boring.", "Meh."]),
        new("Say hi.", ["hi", "hello there"]),
    ];

    private (FeedbackStore Store, Labeler Alice, Labeler Bob) Seeded(Backend backend = Backend.Sqlite, TimeProvider? clock = null)
    {
        var store = NewStore(backend, clock);
        store.Enqueue(Groups, "test");
        return (store, store.AddLabeler("alice", isAdmin: true).Labeler, store.AddLabeler("bob").Labeler);
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void Open_CreatesCurrentSchema_InWalMode_AndReopeningChangesNothing(Backend backend)
    {
        var (store, _, _) = Seeded(backend);
        Assert.Equal(FeedbackStore.CurrentSchemaVersion, store.SchemaVersion());
        Assert.Equal(4, FeedbackStore.CurrentSchemaVersion);
        Assert.Equal("wal", store.JournalMode());
        Assert.Equal(backend == Backend.Sqlite ? "SQLite" : "PostgreSQL", store.Backend);
        string before = Snapshot.Of(store);
        var again = FeedbackStore.Open(_databases[^1].Database);
        Assert.Equal(before, Snapshot.Of(again));
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
        Assert.Equal(4, store.SchemaVersion());
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
        Assert.Contains("schema version 99 is newer than this program's 4", e.Message);
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void Submit_RetryWithSameId_StoresOnce_DifferentContentOrSecondLabel_IsConflict(Backend backend)
    {
        var (store, alice, bob) = Seeded(backend);
        Lease(store, alice, 1);
        var first = store.Submit(alice, 1, Label("s-1", [2, 0, 1, 3], [[0, 1]], allBad: true, elapsedMs: 1500), 1);
        Assert.False(first.Duplicate);
        var retry = store.Submit(alice, 1, Label("s-1", [2, 0, 1, 3], [[0, 1]], allBad: true, elapsedMs: 1999), 1);
        Assert.Equal(new SubmitResult(first.LabelId, Duplicate: true), retry);
        string before = Snapshot.Of(store);

        var changed = Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, Label("s-1", [0, 1, 2, 3]), 1));
        Assert.Equal(FeedbackError.Conflict, changed.Error);
        Assert.Contains("already used for a different label", changed.Message);
        var stolen = Assert.Throws<FeedbackException>(() => store.Submit(bob, 1, Label("s-1", [2, 0, 1, 3], [[0, 1]], allBad: true), 1));
        Assert.Equal(FeedbackError.Conflict, stolen.Error);
        var second = Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, Label("s-2", [0, 1, 2, 3]), 1));
        Assert.Contains("alice has already labeled task 1", second.Message);
        Assert.Equal(before, Snapshot.Of(store));

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
        Lease(store, alice, 1);
        string before = Snapshot.Of(store);
        var e = Assert.Throws<FeedbackException>(() => store.Submit(alice, task, Label(id, ranking), 1));
        Assert.Equal(error, e.Error);
        Assert.Contains(expected, e.Message);
        Assert.Equal(before, Snapshot.Of(store));
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void Submit_BadTies_OrNoElapsedTime_AreRefused_WithTheFormatsMessages(Backend backend)
    {
        var (store, alice, _) = Seeded(backend);
        Lease(store, alice, 1);
        Assert.Contains("is not adjacent in the ranking", Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, Label("a", [0, 1, 2, 3], [[0, 2]]), 1)).Message);
        Assert.Contains("all completions are tied", Assert.Throws<FeedbackException>(() => store.Submit(alice, 3, Label("a", [0, 1], [[0, 1]]), 1)).Message);
        var noTime = Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, new LabelSubmission("a", [0, 1, 2, 3], []), 1));
        Assert.Equal((FeedbackError.Invalid, true), (noTime.Error, noTime.Message.Contains("missing 'elapsedMs'", StringComparison.Ordinal)));
        Assert.Empty(store.Labels());
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void Submit_MustAnswerALiveLeaseOfThatLabeler_AndNeverOverfillsATask(Backend backend)
    {
        var clock = new ManualClock();
        var (store, alice, bob) = Seeded(backend, clock);
        var carol = store.AddLabeler("carol").Labeler;
        string before = Snapshot.Of(store);

        // a blind label: task 2 was never handed to alice
        var blind = Assert.Throws<FeedbackException>(() => store.Submit(alice, 2, Label("a2", [0, 1, 2]), 1));
        Assert.Equal(FeedbackError.Forbidden, blind.Error);
        Assert.Contains("task 2 is not handed out to alice", blind.Message);
        // bob holds task 1 (he was handed it), alice tries to label it
        Lease(store, bob, 1);
        Assert.Equal(FeedbackError.Forbidden, Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, Label("a1", [0, 1, 2, 3]), 1)).Error);
        // bob's lease expires before he submits
        clock.Advance(TimeSpan.FromMinutes(11));
        var late = Assert.Throws<FeedbackException>(() => store.Submit(bob, 1, Label("b1", [0, 1, 2, 3]), 1));
        Assert.Equal(FeedbackError.Conflict, late.Error);
        Assert.Contains("your lease on task 1 expired", late.Message);
        Assert.Equal(before, Snapshot.Of(store));

        // alice and carol both hold task 1 (handed out for 2 labels per task); alice's label fills it at 1 label per
        // task (the server restarted with --labels-per-task 1): carol's is refused, never an over-filled task
        Lease(store, alice, 1, labelsPerTask: 2);
        Lease(store, carol, 1, labelsPerTask: 2);
        store.Submit(alice, 1, Label("a1", [0, 1, 2, 3]), 1);
        var full = Assert.Throws<FeedbackException>(() => store.Submit(carol, 1, Label("c1", [3, 2, 1, 0]), 1));
        Assert.Equal(FeedbackError.Conflict, full.Error);
        Assert.Contains("task 1 already has its 1 label(s)", full.Message);
        Assert.False(store.Submit(carol, 1, Label("c1", [3, 2, 1, 0]), 2).Duplicate); // room for a second label at 2 per task
        Assert.Equal(2, store.Labels().Count);
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void RevokeLabeler_RefusesTheirToken_ReleasesTheirTasks_RotateGivesANewToken(Backend backend)
    {
        var store = NewStore(backend);
        store.Enqueue(Groups, "test");
        var (dave, oldToken) = store.AddLabeler("dave");
        var erin = store.AddLabeler("erin").Labeler;
        Lease(store, dave, 1);
        Lease(store, erin, 2);                                   // dave holds task 1
        Assert.Equal(1, store.RevokeLabeler("dave"));
        var refused = Assert.Throws<FeedbackException>(() => store.Authenticate(oldToken));
        Assert.Equal(FeedbackError.Unauthorized, refused.Error);
        Assert.Contains("dave's access was revoked", refused.Message);
        Assert.Equal(FeedbackError.Forbidden, Assert.Throws<FeedbackException>(() => store.Submit(dave, 1, Label("d1", [0, 1, 2, 3]), 1)).Error);
        Assert.Equal(1, store.NextTask(store.AddLabeler("frank").Labeler, 1, TimeSpan.FromMinutes(10))!.Id); // task 1 is free again
        Assert.False(store.HasActiveAdmin());

        string newToken = store.RotateToken("dave");
        Assert.NotEqual(oldToken, newToken);
        Assert.Equal(dave, store.Authenticate(newToken));
        Assert.Equal(FeedbackError.Unauthorized, Assert.Throws<FeedbackException>(() => store.Authenticate(oldToken)).Error);
        Assert.Equal(FeedbackError.NotFound, Assert.Throws<FeedbackException>(() => store.RevokeLabeler("nobody")).Error);
        store.AddLabeler("root", isAdmin: true);
        Assert.True(store.HasActiveAdmin());
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void NextTask_LeasesKeepConcurrentLabelersApart_UntilTheLeaseExpires(Backend backend)
    {
        var clock = new ManualClock();
        var (store, alice, bob) = Seeded(backend, clock);
        var lease = TimeSpan.FromMinutes(10);
        var a = store.NextTask(alice, 1, lease)!;
        Assert.Equal(1, a.Id);
        Assert.Equal(1, store.NextTask(alice, 1, lease)!.Id);  // a reload shows the same task
        Assert.Equal(2, store.NextTask(bob, 1, lease)!.Id);    // alice holds task 1
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1, store.NextTask(bob, 1, lease)!.Id);    // alice's lease expired: task 1 is open again
        Assert.Equal(FeedbackError.Forbidden, Assert.Throws<FeedbackException>(() => store.Submit(alice, 1, Label("a1", [0, 1, 2, 3]), 1)).Error);
        store.Submit(bob, 1, Label("b1", [0, 1, 2, 3]), 1);
        Assert.Equal(new LabelerProgress("alice", true, 0, 2), store.Progress(alice, 1));
        Assert.Equal(new LabelerProgress("bob", false, 1, 2), store.Progress(bob, 1));
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void NextTask_WithTwoLabelsPerTask_ShowsATaskToBoth_AndAgreementIsMeasured(Backend backend)
    {
        var (store, alice, bob) = Seeded(backend);
        var lease = TimeSpan.FromMinutes(10);
        Assert.Equal(1, store.NextTask(alice, 2, lease)!.Id);
        Assert.Equal(1, store.NextTask(bob, 2, lease)!.Id);
        store.Submit(alice, 1, Label("a1", [0, 1, 2, 3]), 2);
        store.Submit(bob, 1, Label("b1", [1, 0, 2, 3]), 2);
        Assert.Equal(2, store.NextTask(alice, 2, lease)!.Id);
        var o = store.Overview(labelsPerTask: 2);
        Assert.Equal((3, 1, 2, 2), (o.Tasks, o.TasksComplete, o.TasksRemaining, o.Labels));
        Assert.Equal(1, o.AgreementTasks);
        Assert.Equal(5 / 6.0, o.MeanAgreement!.Value, 12); // one of C(4,2) = 6 pairs swapped
        Assert.Equal(RankingAgreement.PairwiseAgreement([0, 1, 2, 3], [1, 0, 2, 3]), o.MeanAgreement.Value, 12);
        Assert.Equal(["alice", "bob"], o.Labelers.Select(l => l.Name));
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void ExportThenImport_RoundTrips_ThroughTheRewardModelsParser_AndImportIsIdempotent(Backend backend)
    {
        var (store, alice, bob) = Seeded(backend);
        Lease(store, alice, 1);
        Lease(store, bob, 2);
        store.Submit(alice, 1, Label("a1", [3, 1, 0, 2], [[1, 0]], elapsedMs: 2000), 1);
        store.Submit(bob, 2, Label("b2", [2, 0, 1], @unsafe: true), 1);
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

        var other = NewStore(backend, name: "other");
        FeedbackExport.Write(store, ranked, PreferenceFormat.Ranked);
        Assert.Equal((2, 0, 0), FeedbackImport.Run(other, ranked, "team-b"));
        Assert.Equal((0, 2, 0), FeedbackImport.Run(other, ranked, "team-b"));
        string back = _dir.File("back.jsonl");
        FeedbackExport.Write(other, back, PreferenceFormat.Ranked);
        Assert.Equal(File.ReadAllText(ranked).Replace("\"labeler\":\"alice\"", "\"labeler\":\"team-b\"", StringComparison.Ordinal)
            .Replace("\"labeler\":\"bob\"", "\"labeler\":\"team-b\"", StringComparison.Ordinal), File.ReadAllText(back)); // the same records, under the importer's name
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void Import_BadLine_NamesFileAndLine_AndWritesNothing(Backend backend)
    {
        var (store, _, _) = Seeded(backend);
        string before = Snapshot.Of(store);
        string bad = _dir.File("bad.jsonl");
        File.WriteAllText(bad, """
            {"prompt": "p", "completions": ["a", "b"], "ranking": [1, 0]}
            {"prompt": "p", "completions": ["a", "b"], "ranking": [1, 1]}
            """);
        var e = Assert.Throws<DataFormatException>(() => FeedbackImport.Run(store, bad, "x"));
        Assert.StartsWith($"{bad}:2: 'ranking' lists index 1 twice", e.Message);
        Assert.Equal(before, Snapshot.Of(store));
    }

    [Theory]
    [BackendData(Backend.Sqlite)]
    [BackendData(Backend.Postgres)]
    public void Tokens_AreStoredHashed_AndAuthenticateTheirLabelerOnly(Backend backend)
    {
        var store = NewStore(backend);
        var (carol, token) = store.AddLabeler("carol");
        Assert.Equal(carol, store.Authenticate(token));
        Assert.DoesNotContain(token, Snapshot.Of(store));
        Assert.Equal(FeedbackError.Unauthorized, Assert.Throws<FeedbackException>(() => store.Authenticate(token + "x")).Error);
        Assert.Equal(FeedbackError.Unauthorized, Assert.Throws<FeedbackException>(() => store.Authenticate(null)).Error);
        Assert.Equal(FeedbackError.Conflict, Assert.Throws<FeedbackException>(() => store.AddLabeler("carol")).Error);
    }
}
