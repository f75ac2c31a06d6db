using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Data.Common;
using Rlhf.Data.Preferences;
using Rlhf.Feedback.Quality;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// The label database: labelers, tasks (a prompt with K completions), leases and labels, in SQLite (a file, the
/// embedded default) or PostgreSQL (a server, for several app instances), chosen by <see cref="Open"/>'s argument.
/// <para>
/// Safety: every write is one transaction holding the database's write lock (<see cref="StoreDialect.BeginWrite"/>:
/// SQLite <c>BEGIN IMMEDIATE</c> with WAL and <c>synchronous=FULL</c>; PostgreSQL an advisory lock), and writers of
/// this process queue on a lock so they never spin on a busy database. Inputs are validated before the transaction
/// starts, so a refused request (<see cref="FeedbackException"/>) leaves the database unchanged. Submits are idempotent
/// by the client's submission id and bound to a live lease of the submitting labeler. The schema is versioned and
/// migrated on open by the same append-only migrations on both databases (<see cref="SchemaMigrations"/>); a database
/// from a newer program is refused rather than guessed at.
/// </para>
/// Thread-safe: each call opens its own (pooled) connection.
/// </summary>
public sealed partial class FeedbackStore
{
    /// <summary>How long a connection waits for another process's write lock before failing.</summary>
    public const int BusyTimeoutMs = 10_000;

    /// <summary>Longest accepted client submission id.</summary>
    public const int MaxSubmissionIdLength = 100;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly StoreDialect _db;
    private readonly TimeProvider _clock;
    private readonly Lock _writeLock = new();

    private FeedbackStore(StoreDialect db, TimeProvider clock)
    {
        _db = db;
        _clock = clock;
    }

    /// <summary>Where the labels live, for messages: the SQLite file, or <c>postgresql://host:port/database</c>.</summary>
    public string Path => _db.Location;

    /// <summary>"SQLite" or "PostgreSQL".</summary>
    public string Backend => _db.Name;

    /// <summary>The schema version this program writes (the number of migrations).</summary>
    public static int CurrentSchemaVersion => SchemaMigrations.All.Count;

    /// <summary>
    /// Opens the label database <paramref name="database"/>: a SQLite file path (created if needed), or a PostgreSQL
    /// connection string in Npgsql's keyword form (<c>Host=db;Database=labels;Username=rlhf;Password=…</c>; the
    /// database must exist). Applies pending migrations, each in its own transaction. Throws
    /// <see cref="InvalidDataException"/> for a schema newer than this program's.
    /// </summary>
    public static FeedbackStore Open(string database, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        StoreDialect dialect = PostgresDialect.IsConnectionString(database) ? new PostgresDialect(database) : new SqliteDialect(database);
        var store = new FeedbackStore(dialect, clock ?? TimeProvider.System);
        store.Migrate();
        return store;
    }

    /// <summary>True when <paramref name="database"/> names a PostgreSQL server rather than a SQLite file.</summary>
    public static bool IsServerDatabase(string database) => PostgresDialect.IsConnectionString(database);

    /// <summary>The database's schema version (SQLite <c>PRAGMA user_version</c>, PostgreSQL <c>rlhf_schema</c>).</summary>
    public int SchemaVersion()
    {
        using var c = Connect();
        return _db.ReadVersion(c, null);
    }

    /// <summary>The journal mode SQLite reports ("wal" once opened by this class); PostgreSQL: "wal" too (its only mode).</summary>
    public string JournalMode()
    {
        if (_db is not SqliteDialect) return "wal";
        using var c = Connect();
        return (string)Scalar(c, null, "PRAGMA journal_mode")!;
    }

    // ---- tasks -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Adds one task per group in one transaction. A group already in the database (same prompt and completions in the
    /// same order) is skipped, so enqueueing a file twice adds nothing. Groups must pass <see cref="CompletionGroup.Validate"/>.
    /// Returns (added, skipped).
    /// </summary>
    public (int Added, int Skipped) Enqueue(IEnumerable<CompletionGroup> groups, string source) =>
        Enqueue(groups.Select(LabelTaskInput.From), source);

    /// <summary>
    /// Adds one task per input (with its conversation, critiques or gold order) in one transaction; a task already in
    /// the database (same conversation, prompt and completions in the same order) is skipped. Inputs must pass
    /// <see cref="LabelTaskInput.Validate"/>; the first bad one refuses the whole call. Returns (added, skipped).
    /// </summary>
    public (int Added, int Skipped) Enqueue(IEnumerable<LabelTaskInput> inputs, string source)
    {
        var (ids, added) = EnqueueTasks(inputs, source);
        return (added, ids.Count - added);
    }

    /// <summary>
    /// <see cref="Enqueue(IEnumerable{LabelTaskInput}, string)"/> that also says which task each input became: the id
    /// per input, in input order (an input already in the database gets the existing task's id), and how many were new.
    /// </summary>
    public (IReadOnlyList<long> Ids, int Added) EnqueueTasks(IEnumerable<LabelTaskInput> inputs, string source)
    {
        var list = inputs.ToList();
        for (int i = 0; i < list.Count; i++)
            if (list[i].Validate() is { } problem) throw new FeedbackException(FeedbackError.Invalid, $"task {i}: {problem}");
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = _db.BeginWrite(c);
            int added = 0;
            var ids = new List<long>(list.Count);
            foreach (var g in list)
            {
                var (id, isNew) = FindOrAddTask(c, tx, g, source);
                ids.Add(id);
                if (isNew) added++;
            }
            tx.Commit();
            return (ids, added);
        }
    }

    /// <summary>The task with this id; throws <see cref="FeedbackError.NotFound"/> when there is none.</summary>
    public FeedbackTask GetTask(long id)
    {
        using var c = Connect();
        return ReadTask(c, null, id) ?? throw new FeedbackException(FeedbackError.NotFound, $"task {id} does not exist");
    }

    /// <summary>Number of tasks.</summary>
    public int TaskCount()
    {
        using var c = Connect();
        return Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM tasks"), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The next task for <paramref name="labeler"/>, leased to them for <paramref name="lease"/>, or null when nothing is
    /// left. 1. A task they already hold an unexpired lease on (a page reload shows the same task). 2. Otherwise the
    /// first task they have not labeled whose labels plus other labelers' live leases are fewer than
    /// <paramref name="labelsPerTask"/>, preferring tasks that already have labels (overlap completes sooner), then
    /// lower ids. The lease keeps concurrent labelers on different tasks; an abandoned lease simply expires.
    /// </summary>
    public FeedbackTask? NextTask(Labeler labeler, int labelsPerTask, TimeSpan lease)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labelsPerTask);
        long now = NowMs();
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = _db.BeginRelaxedWrite(c); // a lease is a hint, not a label: its commit need not wait for the disk
            Execute(c, tx, "DELETE FROM leases WHERE expires_ms <= @now", ("@now", now));
            var id = Scalar(c, tx, """
                SELECT s.task_id FROM leases s
                WHERE s.labeler_id = @me AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.task_id = s.task_id AND l.labeler_id = @me)
                ORDER BY s.task_id LIMIT 1
                """, ("@me", labeler.Id))
                ?? Scalar(c, tx, """
                SELECT t.id FROM tasks t
                WHERE (t.gold_json IS NOT NULL OR t.label_count < @target)
                  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.task_id = t.id AND l.labeler_id = @me)
                  AND (t.gold_json IS NOT NULL OR t.label_count + (SELECT COUNT(*) FROM leases s WHERE s.task_id = t.id AND s.labeler_id <> @me) < @target)
                ORDER BY t.label_count DESC, t.id LIMIT 1
                """, ("@me", labeler.Id), ("@target", labelsPerTask));
            if (id is null) return null;
            Execute(c, tx, "INSERT INTO leases(task_id, labeler_id, expires_ms) VALUES(@t, @me, @exp) ON CONFLICT(task_id, labeler_id) DO UPDATE SET expires_ms = @exp",
                ("@t", id), ("@me", labeler.Id), ("@exp", now + (long)lease.TotalMilliseconds));
            var task = ReadTask(c, tx, (long)id)!;
            tx.Commit();
            return task;
        }
    }

    /// <summary>Labels given by <paramref name="labeler"/>, and tasks they could still label (open and not labeled by them).</summary>
    public LabelerProgress Progress(Labeler labeler, int labelsPerTask)
    {
        using var c = Connect();
        int done = Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM labels WHERE labeler_id = @me", ("@me", labeler.Id)), CultureInfo.InvariantCulture);
        int remaining = Convert.ToInt32(Scalar(c, null, """
            SELECT COUNT(*) FROM tasks t WHERE t.label_count < @target
              AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.task_id = t.id AND l.labeler_id = @me)
            """, ("@me", labeler.Id), ("@target", labelsPerTask)), CultureInfo.InvariantCulture);
        return new LabelerProgress(labeler.Name, labeler.IsAdmin, done, remaining);
    }

    // ---- labels ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Stores <paramref name="submission"/> for task <paramref name="taskId"/> in one transaction:
    /// 1. the task must exist (NotFound) and the submission be valid for it (Invalid: ranking a permutation of
    /// 0..K-1, tie groups adjacent, at least one comparison left, a well-formed submission id);
    /// 2. a submission id already stored with the same labeler, task and content is a client retry: nothing is written
    /// and the stored label is returned with <c>Duplicate = true</c>; with different content it is a Conflict;
    /// 3. a labeler labels a task once (Conflict);
    /// 4. the label must answer a hand-out: the labeler holds a lease on the task (<see cref="NextTask"/>), else
    /// Forbidden (a blind label for a task never handed to them, or whose lease expired and was cleared), and the lease
    /// is still live (Conflict: expired); the task has fewer than <paramref name="labelsPerTask"/> labels (Conflict);
    /// 5. insert, count the label on the task, release the lease.
    /// </summary>
    public SubmitResult Submit(Labeler labeler, long taskId, LabelSubmission submission, int labelsPerTask)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labelsPerTask);
        ArgumentNullException.ThrowIfNull(submission);
        var task = GetTask(taskId);
        Validate(task, submission);
        string ranking = JsonSerializer.Serialize(submission.Ranking, Json), ties = JsonSerializer.Serialize(submission.Ties, Json);
        string unsafeJson = JsonSerializer.Serialize(submission.UnsafeCompletions.Order(), Json);
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = _db.BeginWrite(c);
            using (var cmd = Command(c, tx, "SELECT id, task_id, labeler_id, ranking_json, ties_json, all_bad, unsafe, unsafe_json FROM labels WHERE submission_id = @s", ("@s", submission.SubmissionId)))
            using (var r = cmd.ExecuteReader())
                if (r.Read())
                {
                    bool same = r.GetInt64(1) == taskId && r.GetInt64(2) == labeler.Id && r.GetString(3) == ranking && r.GetString(4) == ties
                        && (r.GetInt64(5) != 0) == submission.AllBad && (r.GetInt64(6) != 0) == IsUnsafe(submission) && r.GetString(7) == unsafeJson;
                    return same ? new SubmitResult(r.GetInt64(0), Duplicate: true)
                        : throw new FeedbackException(FeedbackError.Conflict, $"submission id '{submission.SubmissionId}' was already used for a different label; use a new id for a new label");
                }
            if (Scalar(c, tx, "SELECT id FROM labels WHERE task_id = @t AND labeler_id = @me", ("@t", taskId), ("@me", labeler.Id)) is long existing)
                throw new FeedbackException(FeedbackError.Conflict, $"{labeler.Name} has already labeled task {taskId} (label {existing}); each labeler labels a task once");
            if (Scalar(c, tx, "SELECT expires_ms FROM leases WHERE task_id = @t AND labeler_id = @me", ("@t", taskId), ("@me", labeler.Id)) is not long expires)
                throw new FeedbackException(FeedbackError.Forbidden, $"task {taskId} is not handed out to {labeler.Name}: labels are accepted only for the task GET /api/next gave you (or your lease on it expired and it went to someone else)");
            if (expires <= NowMs())
                throw new FeedbackException(FeedbackError.Conflict, $"your lease on task {taskId} expired {DateTimeOffset.FromUnixTimeMilliseconds(expires).ToString("u", CultureInfo.InvariantCulture)}; get a task again from GET /api/next");
            if (task.Gold is null && Convert.ToInt64(Scalar(c, tx, "SELECT label_count FROM tasks WHERE id = @t", ("@t", taskId)), CultureInfo.InvariantCulture) >= labelsPerTask)
                throw new FeedbackException(FeedbackError.Conflict, $"task {taskId} already has its {labelsPerTask} label(s); get another task from GET /api/next");
            long id = (long)Scalar(c, tx, """
                INSERT INTO labels(task_id, labeler_id, submission_id, ranking_json, ties_json, all_bad, unsafe, created_utc, elapsed_ms, unsafe_json, saw_critiques)
                VALUES(@t, @me, @s, @r, @ties, @bad, @unsafe, @c, @ms, @uj, @saw) RETURNING id
                """, ("@t", taskId), ("@me", labeler.Id), ("@s", submission.SubmissionId), ("@r", ranking), ("@ties", ties),
                ("@bad", submission.AllBad ? 1 : 0), ("@unsafe", IsUnsafe(submission) ? 1 : 0), ("@c", Now()), ("@ms", submission.ElapsedMs),
                ("@uj", unsafeJson), ("@saw", submission.SawCritiques && task.Critiques is not null ? 1 : 0))!;
            Execute(c, tx, "UPDATE tasks SET label_count = label_count + 1 WHERE id = @t", ("@t", taskId));
            Execute(c, tx, "DELETE FROM leases WHERE task_id = @t AND labeler_id = @me", ("@t", taskId), ("@me", labeler.Id));
            tx.Commit();
            return new SubmitResult(id, Duplicate: false);
        }
    }

    /// <summary>Every label with its task, in the order they were stored.</summary>
    public IReadOnlyList<StoredLabel> Labels() => Labels(0, int.MaxValue);

    /// <summary>
    /// At most <paramref name="limit"/> labels with ids above <paramref name="afterId"/>, in id (storage) order: a
    /// reader that remembers the last id it saw fetches only what is new (<c>GET /api/labels?after=</c>).
    /// </summary>
    public IReadOnlyList<StoredLabel> Labels(long afterId, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        using var c = Connect();
        using var cmd = Command(c, null, """
            SELECT l.id, t.id, t.prompt, t.completions_json, b.name, l.submission_id, l.ranking_json, l.ties_json, l.all_bad, l.unsafe, l.elapsed_ms,
                   t.messages_json, t.critiques_json, t.gold_json, l.unsafe_json, l.saw_critiques, l.labeler_id
            FROM labels l JOIN tasks t ON t.id = l.task_id JOIN labelers b ON b.id = l.labeler_id WHERE l.id > @after ORDER BY l.id LIMIT @limit
            """, ("@after", afterId), ("@limit", (long)limit));
        using var r = cmd.ExecuteReader();
        var labels = new List<StoredLabel>();
        var tasks = new Dictionary<long, FeedbackTask>();
        while (r.Read())
        {
            long taskId = r.GetInt64(1);
            if (!tasks.TryGetValue(taskId, out var task))
                tasks[taskId] = task = TaskFrom(r, taskId, 2, 11);
            labels.Add(new StoredLabel(r.GetInt64(0), task, r.GetString(4), r.GetString(5),
                JsonSerializer.Deserialize<int[]>(r.GetString(6), Json)!, JsonSerializer.Deserialize<int[][]>(r.GetString(7), Json)!,
                r.GetInt64(8) != 0, r.GetInt64(9) != 0, r.IsDBNull(10) ? null : r.GetInt64(10))
            {
                UnsafeCompletions = JsonSerializer.Deserialize<int[]>(r.GetString(14), Json)!,
                SawCritiques = r.GetInt64(15) != 0,
                LabelerId = r.GetInt64(16),
            });
        }
        return labels;
    }

    /// <summary>Counts, labels per labeler and inter-labeler agreement (see <see cref="FeedbackOverview"/>).</summary>
    public FeedbackOverview Overview(int labelsPerTask)
    {
        var labels = Labels();
        int tasks, complete, gold;
        var names = new List<string>();
        using (var c = Connect())
        {
            tasks = Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM tasks WHERE gold_json IS NULL"), CultureInfo.InvariantCulture);
            gold = Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM tasks WHERE gold_json IS NOT NULL"), CultureInfo.InvariantCulture);
            complete = Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM tasks WHERE gold_json IS NULL AND label_count >= @target", ("@target", labelsPerTask)), CultureInfo.InvariantCulture);
            using var cmd = Command(c, null, "SELECT name FROM labelers ORDER BY id");
            using var r = cmd.ExecuteReader();
            while (r.Read()) names.Add(r.GetString(0));
        }
        var perLabeler = QualityReport.PerLabeler(labels, names);

        // 1. group labels by task; 2. per task with >= 2 labels the mean pairwise agreement of its rankings;
        // 3. average over those tasks, so every multiply-labeled task counts once whatever its number of labels
        var perTask = labels.Where(l => l.Task.Gold is null).GroupBy(l => l.Task.Id).Where(g => g.Count() >= 2)
            .Select(g => RankingAgreement.MeanInterLabeler([.. g.Select(l => l.Ranking)])).ToList();
        return new FeedbackOverview(tasks, complete, tasks - complete, labelsPerTask, labels.Count, labels.Count(l => l.AllBad), labels.Count(l => l.Unsafe),
            perLabeler, perTask.Count, perTask.Count == 0 ? null : perTask.Average())
        {
            GoldTasks = gold,
            Alpha = QualityReport.PoolAlpha(labels),
        };
    }

    /// <summary>
    /// Imports ranked records made elsewhere as labels by <paramref name="labelerName"/> (created, without a usable token,
    /// when new), all in one transaction. Each record finds or adds its task (same prompt and completions in the same
    /// order) and stores a label whose submission id is derived from its content, so importing a file twice adds
    /// nothing. A record whose task this labeler already labeled differently is skipped. Returns (imported,
    /// already there, skipped).
    /// </summary>
    public (int Imported, int Existing, int Skipped) Import(PreferenceData data, string labelerName, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        labelerName = (labelerName ?? "").Trim();
        if (labelerName.Length is 0 or > 64) throw new FeedbackException(FeedbackError.Invalid, "labeler name must be 1 to 64 characters");
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = _db.BeginWrite(c);
            long me = Scalar(c, tx, "SELECT id FROM labelers WHERE name = @n", ("@n", labelerName)) as long?
                ?? (long)Scalar(c, tx, "INSERT INTO labelers(name, token_sha256, is_admin, created_utc) VALUES(@n, @t, 0, @c) RETURNING id",
                    ("@n", labelerName), ("@t", Sha256(Base64Url(RandomNumberGenerator.GetBytes(32)))), ("@c", Now()))!;
            int imported = 0, existing = 0, skipped = 0;
            foreach (var record in data.Records)
            {
                long taskId = FindOrAddTask(c, tx, new LabelTaskInput(record.Prompt, record.Completions), source).Id;
                string ranking = JsonSerializer.Serialize(record.Ranking, Json), ties = JsonSerializer.Serialize(record.Ties, Json);
                string submissionId = "import-" + Sha256($"{labelerName.Length}:{labelerName}|{taskId}|{ranking}|{ties}")[..40];
                if (Scalar(c, tx, "SELECT id FROM labels WHERE submission_id = @s", ("@s", submissionId)) is not null) { existing++; continue; }
                if (Scalar(c, tx, "SELECT id FROM labels WHERE task_id = @t AND labeler_id = @me", ("@t", taskId), ("@me", me)) is not null) { skipped++; continue; }
                Execute(c, tx, """
                    INSERT INTO labels(task_id, labeler_id, submission_id, ranking_json, ties_json, all_bad, unsafe, created_utc, elapsed_ms, unsafe_json)
                    VALUES(@t, @me, @s, @r, @ties, @bad, @unsafe, @c, NULL, @uj)
                    """, ("@t", taskId), ("@me", me), ("@s", submissionId), ("@r", ranking), ("@ties", ties), ("@c", Now()),
                    ("@bad", record.AllBad ? 1 : 0), ("@unsafe", record.Unsafe.Count > 0 ? 1 : 0), ("@uj", JsonSerializer.Serialize(record.Unsafe.Order(), Json)));
                Execute(c, tx, "UPDATE tasks SET label_count = label_count + 1 WHERE id = @t", ("@t", taskId));
                imported++;
            }
            tx.Commit();
            return (imported, existing, skipped);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /// <summary>Refuses a submission that does not fit <paramref name="task"/>, with the ranked format's own messages.</summary>
    private static void Validate(FeedbackTask task, LabelSubmission s)
    {
        if (string.IsNullOrEmpty(s.SubmissionId) || s.SubmissionId.Length > MaxSubmissionIdLength
            || !s.SubmissionId.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' or ':'))
            throw new FeedbackException(FeedbackError.Invalid, $"'submissionId' must be 1 to {MaxSubmissionIdLength} characters of A-Z, a-z, 0-9, '-', '_', '.', ':'");
        if (s.Ranking is null) throw new FeedbackException(FeedbackError.Invalid, "missing 'ranking' (completion indices, best first)");
        if (s.Ties is null || s.Ties.Any(t => t is null)) throw new FeedbackException(FeedbackError.Invalid, "'ties' must be an array of index arrays");
        if (s.ElapsedMs is not { } ms) throw new FeedbackException(FeedbackError.Invalid, "missing 'elapsedMs' (milliseconds the labeler spent on the task, from showing it to submitting)");
        if (ms < 0) throw new FeedbackException(FeedbackError.Invalid, "'elapsedMs' must be >= 0");
        if (s.UnsafeCompletions is null) throw new FeedbackException(FeedbackError.Invalid, "'unsafeCompletions' must be an array of completion indices");
        var record = new RankedCompletions(task.Prompt, task.Completions, s.Ranking, s.Ties) { AllBad = s.AllBad, Unsafe = s.UnsafeCompletions };
        if (record.Validate() is { } problem) throw new FeedbackException(FeedbackError.Invalid, $"task {task.Id} has {task.Completions.Count} completions: {problem}");
    }

    /// <summary>
    /// The task with this content, or a new one. The content key covers the conversation, prompt and completions (the
    /// conversation only when there is one, so single-turn keys are those of schema v1); critiques and gold order are
    /// stored with a new task and do not make an existing one different.
    /// </summary>
    private (long Id, bool Added) FindOrAddTask(DbConnection c, DbTransaction tx, LabelTaskInput input, string source)
    {
        var (prompt, completions) = (input.Prompt, input.Completions);
        string history = input.Messages is { Count: > 0 } m ? string.Concat(m.Select(x => $"{x.Role}:{x.Content.Length}:{x.Content}")) + "#" : "";
        string key = Sha256($"{history}{prompt.Length}:{prompt}|{string.Concat(completions.Select(x => $"{x.Length}:{x}"))}");
        if (Scalar(c, tx, "SELECT id FROM tasks WHERE content_key = @k", ("@k", key)) is long id) return (id, false);
        id = (long)Scalar(c, tx, """
            INSERT INTO tasks(prompt, completions_json, k, source, content_key, created_utc, messages_json, critiques_json, gold_json)
            VALUES(@p, @cj, @k, @s, @key, @c, @mj, @crj, @gj) RETURNING id
            """, ("@p", prompt), ("@cj", JsonSerializer.Serialize(completions, Json)), ("@k", completions.Count), ("@s", source), ("@key", key), ("@c", Now()),
            ("@mj", input.Messages is { Count: > 0 } ? JsonSerializer.Serialize(input.Messages, Json) : null),
            ("@crj", input.Critiques is not null && input.Critiques.Any(x => !string.IsNullOrWhiteSpace(x)) ? JsonSerializer.Serialize(input.Critiques, Json) : null),
            ("@gj", input.Gold is null ? null : JsonSerializer.Serialize(input.Gold, Json)))!;
        return (id, true);
    }

    private static FeedbackTask? ReadTask(DbConnection c, DbTransaction? tx, long id)
    {
        using var cmd = Command(c, tx, "SELECT prompt, completions_json, messages_json, critiques_json, gold_json FROM tasks WHERE id = @id", ("@id", id));
        using var r = cmd.ExecuteReader();
        return r.Read() ? TaskFrom(r, id, 0, 2) : null;
    }

    /// <summary>A task from a row holding prompt and completions at <paramref name="text"/>, messages, critiques and gold at <paramref name="extras"/>.</summary>
    private static FeedbackTask TaskFrom(DbDataReader r, long id, int text, int extras) =>
        new(id, r.GetString(text), JsonSerializer.Deserialize<string[]>(r.GetString(text + 1), Json)!)
        {
            Messages = r.IsDBNull(extras) ? [] : JsonSerializer.Deserialize<ChatMessage[]>(r.GetString(extras), Json)!,
            Critiques = r.IsDBNull(extras + 1) ? null : JsonSerializer.Deserialize<string?[]>(r.GetString(extras + 1), Json),
            Gold = r.IsDBNull(extras + 2) ? null : JsonSerializer.Deserialize<int[]>(r.GetString(extras + 2), Json),
        };

    private static bool IsUnsafe(LabelSubmission s) => s.Unsafe || s.UnsafeCompletions.Count > 0;

    /// <summary>Brings the schema to <see cref="CurrentSchemaVersion"/>: the dialect's preparation, then each pending migration in its own write transaction.</summary>
    private void Migrate()
    {
        lock (_writeLock)
        {
            using var c = Connect();
            _db.Prepare(c);
            for (;;)
            {
                using var tx = _db.BeginWrite(c);
                int version = _db.ReadVersion(c, tx); // read under the write lock: another instance may be migrating too
                if (version > CurrentSchemaVersion)
                    throw new InvalidDataException($"{Path}: label database schema version {version} is newer than this program's {CurrentSchemaVersion}; use a newer rlhf");
                if (version == CurrentSchemaVersion) return;
                Execute(c, tx, _db.Ddl(SchemaMigrations.All[version]));
                _db.WriteVersion(c, tx, version + 1);
                tx.Commit();
            }
        }
    }

    /// <summary>A new open connection (for tests: reading tables directly).</summary>
    internal DbConnection Connect() => _db.Connect();

    private static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static object? Scalar(DbConnection c, DbTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    private static void Execute(DbConnection c, DbTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        cmd.ExecuteNonQuery();
    }

    private string Now() => _clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private long NowMs() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
