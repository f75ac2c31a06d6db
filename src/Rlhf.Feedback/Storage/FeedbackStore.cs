using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// The label database (SQLite): labelers, tasks (a prompt with K completions), leases and labels.
/// <para>
/// Safety: WAL journal with <c>synchronous=FULL</c> (a committed label survives a crash or power loss); every write is
/// one <c>BEGIN IMMEDIATE</c> transaction, and writers of this process queue on a lock so they never spin on
/// SQLITE_BUSY (other processes wait up to <see cref="BusyTimeoutMs"/>). Inputs are validated before the transaction
/// starts, so a refused request (<see cref="FeedbackException"/>) leaves the database unchanged. Submits are idempotent
/// by the client's submission id. The schema is versioned (<c>PRAGMA user_version</c>) and migrated on open
/// (<see cref="SchemaMigrations"/>); a database from a newer program is refused rather than guessed at.
/// </para>
/// Thread-safe: each call opens its own (pooled) connection.
/// </summary>
public sealed class FeedbackStore
{
    /// <summary>How long a connection waits for another process's write lock before failing.</summary>
    public const int BusyTimeoutMs = 10_000;

    /// <summary>Longest accepted client submission id.</summary>
    public const int MaxSubmissionIdLength = 100;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _connectionString;
    private readonly TimeProvider _clock;
    private readonly Lock _writeLock = new();

    private FeedbackStore(string path, TimeProvider clock)
    {
        Path = path;
        _clock = clock;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version this program writes (the number of migrations).</summary>
    public static int CurrentSchemaVersion => SchemaMigrations.All.Count;

    /// <summary>
    /// Opens (creating if needed) the database at <paramref name="path"/>, switches it to WAL and applies pending
    /// migrations, each in its own transaction. Throws <see cref="InvalidDataException"/> for a newer schema.
    /// </summary>
    public static FeedbackStore Open(string path, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"{path}: the directory {dir} does not exist");
        var store = new FeedbackStore(path, clock ?? TimeProvider.System);
        store.Migrate();
        return store;
    }

    /// <summary>The database's schema version (<c>PRAGMA user_version</c>).</summary>
    public int SchemaVersion()
    {
        using var c = Connect();
        return Convert.ToInt32(Scalar(c, null, "PRAGMA user_version"), CultureInfo.InvariantCulture);
    }

    /// <summary>The journal mode SQLite reports ("wal" once opened by this class).</summary>
    public string JournalMode()
    {
        using var c = Connect();
        return (string)Scalar(c, null, "PRAGMA journal_mode")!;
    }

    // ---- labelers ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Creates a labeler and returns it with its token: 32 random bytes, base64url. Only the token's SHA-256 is
    /// stored, so the token is shown once and a stolen database file does not hold usable tokens.
    /// </summary>
    public (Labeler Labeler, string Token) AddLabeler(string name, bool isAdmin = false)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > 64 || name.Any(char.IsControl))
            throw new FeedbackException(FeedbackError.Invalid, "labeler name must be 1 to 64 printable characters");
        string token = Base64Url(RandomNumberGenerator.GetBytes(32));
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            if (Scalar(c, tx, "SELECT id FROM labelers WHERE name = $n", ("$n", name)) is not null)
                throw new FeedbackException(FeedbackError.Conflict, $"a labeler named '{name}' already exists");
            long id = (long)Scalar(c, tx, "INSERT INTO labelers(name, token_sha256, is_admin, created_utc) VALUES($n, $t, $a, $c) RETURNING id",
                ("$n", name), ("$t", Sha256(token)), ("$a", isAdmin ? 1 : 0), ("$c", Now()))!;
            tx.Commit();
            return (new Labeler(id, name, isAdmin), token);
        }
    }

    /// <summary>The labeler whose token this is; throws <see cref="FeedbackError.Unauthorized"/> otherwise.</summary>
    public Labeler Authenticate(string? token)
    {
        if (string.IsNullOrEmpty(token))
            throw new FeedbackException(FeedbackError.Unauthorized, "missing labeler token: send 'Authorization: Bearer <token>' (tokens come from 'rlhf label add-labeler')");
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT id, name, is_admin FROM labelers WHERE token_sha256 = $t", ("$t", Sha256(token)));
        using var r = cmd.ExecuteReader();
        return r.Read() ? new Labeler(r.GetInt64(0), r.GetString(1), r.GetInt64(2) != 0)
            : throw new FeedbackException(FeedbackError.Unauthorized, "unknown labeler token (ask for one made by 'rlhf label add-labeler')");
    }

    // ---- tasks -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Adds one task per group in one transaction. A group already in the database (same prompt and completions in the
    /// same order) is skipped, so enqueueing a file twice adds nothing. Groups must pass <see cref="CompletionGroup.Validate"/>.
    /// Returns (added, skipped).
    /// </summary>
    public (int Added, int Skipped) Enqueue(IEnumerable<CompletionGroup> groups, string source)
    {
        var list = groups.ToList();
        for (int i = 0; i < list.Count; i++)
            if (list[i].Validate() is { } problem) throw new FeedbackException(FeedbackError.Invalid, $"task {i}: {problem}");
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            int added = 0;
            foreach (var g in list)
                if (FindOrAddTask(c, tx, g.Prompt, g.Completions, source).Added) added++;
            tx.Commit();
            return (added, list.Count - added);
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
            // a lease is a hint, not a label: its commit need not wait for the disk (the next FULL commit syncs it)
            Execute(c, null, "PRAGMA synchronous = NORMAL");
            using var tx = c.BeginTransaction();
            Execute(c, tx, "DELETE FROM leases WHERE expires_ms <= $now", ("$now", now));
            var id = Scalar(c, tx, """
                SELECT s.task_id FROM leases s
                WHERE s.labeler_id = $me AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.task_id = s.task_id AND l.labeler_id = $me)
                ORDER BY s.task_id LIMIT 1
                """, ("$me", labeler.Id))
                ?? Scalar(c, tx, """
                SELECT t.id FROM tasks t
                WHERE t.label_count < $target
                  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.task_id = t.id AND l.labeler_id = $me)
                  AND t.label_count + (SELECT COUNT(*) FROM leases s WHERE s.task_id = t.id AND s.labeler_id <> $me) < $target
                ORDER BY t.label_count DESC, t.id LIMIT 1
                """, ("$me", labeler.Id), ("$target", labelsPerTask));
            if (id is null) return null;
            Execute(c, tx, "INSERT INTO leases(task_id, labeler_id, expires_ms) VALUES($t, $me, $exp) ON CONFLICT(task_id, labeler_id) DO UPDATE SET expires_ms = $exp",
                ("$t", id), ("$me", labeler.Id), ("$exp", now + (long)lease.TotalMilliseconds));
            var task = ReadTask(c, tx, (long)id)!;
            tx.Commit();
            return task;
        }
    }

    /// <summary>Labels given by <paramref name="labeler"/>, and tasks they could still label (open and not labeled by them).</summary>
    public LabelerProgress Progress(Labeler labeler, int labelsPerTask)
    {
        using var c = Connect();
        int done = Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM labels WHERE labeler_id = $me", ("$me", labeler.Id)), CultureInfo.InvariantCulture);
        int remaining = Convert.ToInt32(Scalar(c, null, """
            SELECT COUNT(*) FROM tasks t WHERE t.label_count < $target
              AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.task_id = t.id AND l.labeler_id = $me)
            """, ("$me", labeler.Id), ("$target", labelsPerTask)), CultureInfo.InvariantCulture);
        return new LabelerProgress(labeler.Name, labeler.IsAdmin, done, remaining);
    }

    // ---- labels ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Stores <paramref name="submission"/> for task <paramref name="taskId"/> in one transaction:
    /// 1. the task must exist (NotFound) and the submission be valid for it (Invalid: ranking a permutation of
    /// 0..K-1, tie groups adjacent, at least one comparison left, a well-formed submission id);
    /// 2. a submission id already stored with the same labeler, task and content is a client retry: nothing is written
    /// and the stored label is returned with <c>Duplicate = true</c>; with different content it is a Conflict;
    /// 3. a labeler labels a task once (Conflict); 4. insert, count the label on the task, release the lease.
    /// </summary>
    public SubmitResult Submit(Labeler labeler, long taskId, LabelSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var task = GetTask(taskId);
        Validate(task, submission);
        string ranking = JsonSerializer.Serialize(submission.Ranking, Json), ties = JsonSerializer.Serialize(submission.Ties, Json);
        lock (_writeLock)
        {
            using var c = Connect();
            using var tx = c.BeginTransaction();
            using (var cmd = Command(c, tx, "SELECT id, task_id, labeler_id, ranking_json, ties_json, all_bad, unsafe FROM labels WHERE submission_id = $s", ("$s", submission.SubmissionId)))
            using (var r = cmd.ExecuteReader())
                if (r.Read())
                {
                    bool same = r.GetInt64(1) == taskId && r.GetInt64(2) == labeler.Id && r.GetString(3) == ranking && r.GetString(4) == ties
                        && (r.GetInt64(5) != 0) == submission.AllBad && (r.GetInt64(6) != 0) == submission.Unsafe;
                    return same ? new SubmitResult(r.GetInt64(0), Duplicate: true)
                        : throw new FeedbackException(FeedbackError.Conflict, $"submission id '{submission.SubmissionId}' was already used for a different label; use a new id for a new label");
                }
            if (Scalar(c, tx, "SELECT id FROM labels WHERE task_id = $t AND labeler_id = $me", ("$t", taskId), ("$me", labeler.Id)) is long existing)
                throw new FeedbackException(FeedbackError.Conflict, $"{labeler.Name} has already labeled task {taskId} (label {existing}); each labeler labels a task once");
            long id = (long)Scalar(c, tx, """
                INSERT INTO labels(task_id, labeler_id, submission_id, ranking_json, ties_json, all_bad, unsafe, created_utc, elapsed_ms)
                VALUES($t, $me, $s, $r, $ties, $bad, $unsafe, $c, $ms) RETURNING id
                """, ("$t", taskId), ("$me", labeler.Id), ("$s", submission.SubmissionId), ("$r", ranking), ("$ties", ties),
                ("$bad", submission.AllBad ? 1 : 0), ("$unsafe", submission.Unsafe ? 1 : 0), ("$c", Now()), ("$ms", submission.ElapsedMs))!;
            Execute(c, tx, "UPDATE tasks SET label_count = label_count + 1 WHERE id = $t", ("$t", taskId));
            Execute(c, tx, "DELETE FROM leases WHERE task_id = $t AND labeler_id = $me", ("$t", taskId), ("$me", labeler.Id));
            tx.Commit();
            return new SubmitResult(id, Duplicate: false);
        }
    }

    /// <summary>Every label with its task, in the order they were stored.</summary>
    public IReadOnlyList<StoredLabel> Labels()
    {
        using var c = Connect();
        using var cmd = Command(c, null, """
            SELECT l.id, t.id, t.prompt, t.completions_json, b.name, l.submission_id, l.ranking_json, l.ties_json, l.all_bad, l.unsafe, l.elapsed_ms
            FROM labels l JOIN tasks t ON t.id = l.task_id JOIN labelers b ON b.id = l.labeler_id ORDER BY l.id
            """);
        using var r = cmd.ExecuteReader();
        var labels = new List<StoredLabel>();
        var tasks = new Dictionary<long, FeedbackTask>();
        while (r.Read())
        {
            long taskId = r.GetInt64(1);
            if (!tasks.TryGetValue(taskId, out var task))
                tasks[taskId] = task = new FeedbackTask(taskId, r.GetString(2), JsonSerializer.Deserialize<string[]>(r.GetString(3), Json)!);
            labels.Add(new StoredLabel(r.GetInt64(0), task, r.GetString(4), r.GetString(5),
                JsonSerializer.Deserialize<int[]>(r.GetString(6), Json)!, JsonSerializer.Deserialize<int[][]>(r.GetString(7), Json)!,
                r.GetInt64(8) != 0, r.GetInt64(9) != 0, r.IsDBNull(10) ? null : r.GetInt64(10)));
        }
        return labels;
    }

    /// <summary>Counts, labels per labeler and inter-labeler agreement (see <see cref="FeedbackOverview"/>).</summary>
    public FeedbackOverview Overview(int labelsPerTask)
    {
        var labels = Labels();
        int tasks, complete;
        var names = new List<string>();
        using (var c = Connect())
        {
            tasks = Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM tasks"), CultureInfo.InvariantCulture);
            complete = Convert.ToInt32(Scalar(c, null, "SELECT COUNT(*) FROM tasks WHERE label_count >= $target", ("$target", labelsPerTask)), CultureInfo.InvariantCulture);
            using var cmd = Command(c, null, "SELECT name FROM labelers ORDER BY id");
            using var r = cmd.ExecuteReader();
            while (r.Read()) names.Add(r.GetString(0));
        }
        var perLabeler = names.Select(n =>
        {
            var mine = labels.Where(l => l.Labeler == n).ToList();
            var ms = mine.Where(l => l.ElapsedMs is not null).Select(l => (double)l.ElapsedMs!.Value).Order().ToList();
            double? median = ms.Count == 0 ? null : (ms[(ms.Count - 1) / 2] + ms[ms.Count / 2]) / 2000.0;
            return new LabelerCount(n, mine.Count, median);
        }).Where(l => l.Labels > 0).ToList();

        // 1. group labels by task; 2. per task with >= 2 labels the mean pairwise agreement of its rankings;
        // 3. average over those tasks, so every multiply-labeled task counts once whatever its number of labels
        var perTask = labels.GroupBy(l => l.Task.Id).Where(g => g.Count() >= 2)
            .Select(g => RankingAgreement.MeanInterLabeler([.. g.Select(l => l.Ranking)])).ToList();
        return new FeedbackOverview(tasks, complete, tasks - complete, labelsPerTask, labels.Count, labels.Count(l => l.AllBad), labels.Count(l => l.Unsafe),
            perLabeler, perTask.Count, perTask.Count == 0 ? null : perTask.Average());
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
            using var tx = c.BeginTransaction();
            long me = Scalar(c, tx, "SELECT id FROM labelers WHERE name = $n", ("$n", labelerName)) as long?
                ?? (long)Scalar(c, tx, "INSERT INTO labelers(name, token_sha256, is_admin, created_utc) VALUES($n, $t, 0, $c) RETURNING id",
                    ("$n", labelerName), ("$t", Sha256(Base64Url(RandomNumberGenerator.GetBytes(32)))), ("$c", Now()))!;
            int imported = 0, existing = 0, skipped = 0;
            foreach (var record in data.Records)
            {
                long taskId = FindOrAddTask(c, tx, record.Prompt, record.Completions, source).Id;
                string ranking = JsonSerializer.Serialize(record.Ranking, Json), ties = JsonSerializer.Serialize(record.Ties, Json);
                string submissionId = "import-" + Sha256($"{labelerName.Length}:{labelerName}|{taskId}|{ranking}|{ties}")[..40];
                if (Scalar(c, tx, "SELECT id FROM labels WHERE submission_id = $s", ("$s", submissionId)) is not null) { existing++; continue; }
                if (Scalar(c, tx, "SELECT id FROM labels WHERE task_id = $t AND labeler_id = $me", ("$t", taskId), ("$me", me)) is not null) { skipped++; continue; }
                Execute(c, tx, """
                    INSERT INTO labels(task_id, labeler_id, submission_id, ranking_json, ties_json, all_bad, unsafe, created_utc, elapsed_ms)
                    VALUES($t, $me, $s, $r, $ties, 0, 0, $c, NULL)
                    """, ("$t", taskId), ("$me", me), ("$s", submissionId), ("$r", ranking), ("$ties", ties), ("$c", Now()));
                Execute(c, tx, "UPDATE tasks SET label_count = label_count + 1 WHERE id = $t", ("$t", taskId));
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
        if (s.ElapsedMs is < 0) throw new FeedbackException(FeedbackError.Invalid, "'elapsedMs' must be >= 0");
        var record = new RankedCompletions(task.Prompt, task.Completions, s.Ranking, s.Ties);
        if (record.Validate() is { } problem) throw new FeedbackException(FeedbackError.Invalid, $"task {task.Id} has {task.Completions.Count} completions: {problem}");
    }

    private (long Id, bool Added) FindOrAddTask(SqliteConnection c, SqliteTransaction tx, string prompt, IReadOnlyList<string> completions, string source)
    {
        string key = Sha256($"{prompt.Length}:{prompt}|{string.Concat(completions.Select(x => $"{x.Length}:{x}"))}");
        if (Scalar(c, tx, "SELECT id FROM tasks WHERE content_key = $k", ("$k", key)) is long id) return (id, false);
        id = (long)Scalar(c, tx, "INSERT INTO tasks(prompt, completions_json, k, source, content_key, created_utc) VALUES($p, $cj, $k, $s, $key, $c) RETURNING id",
            ("$p", prompt), ("$cj", JsonSerializer.Serialize(completions, Json)), ("$k", completions.Count), ("$s", source), ("$key", key), ("$c", Now()))!;
        return (id, true);
    }

    private static FeedbackTask? ReadTask(SqliteConnection c, SqliteTransaction? tx, long id)
    {
        using var cmd = Command(c, tx, "SELECT prompt, completions_json FROM tasks WHERE id = $id", ("$id", id));
        using var r = cmd.ExecuteReader();
        return r.Read() ? new FeedbackTask(id, r.GetString(0), JsonSerializer.Deserialize<string[]>(r.GetString(1), Json)!) : null;
    }

    /// <summary>Brings the schema to <see cref="CurrentSchemaVersion"/>: WAL on, then each pending migration in its own transaction.</summary>
    private void Migrate()
    {
        lock (_writeLock)
        {
            using var c = Connect();
            Scalar(c, null, "PRAGMA journal_mode=WAL"); // persistent in the file: readers never block the writer
            int version = Convert.ToInt32(Scalar(c, null, "PRAGMA user_version"), CultureInfo.InvariantCulture);
            if (version > CurrentSchemaVersion)
                throw new InvalidDataException($"{Path}: label database schema version {version} is newer than this program's {CurrentSchemaVersion}; use a newer rlhf");
            for (int v = version; v < CurrentSchemaVersion; v++)
            {
                using var tx = c.BeginTransaction();
                Execute(c, tx, SchemaMigrations.All[v]);
                Execute(c, tx, $"PRAGMA user_version = {v + 1}");
                tx.Commit();
            }
        }
    }

    private SqliteConnection Connect()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        Execute(c, null, $"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {BusyTimeoutMs}");
        return c;
    }

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    private static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    private static void Execute(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        cmd.ExecuteNonQuery();
    }

    private string Now() => _clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private long NowMs() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
