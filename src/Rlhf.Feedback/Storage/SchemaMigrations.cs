namespace Rlhf.Feedback.Storage;

/// <summary>
/// The label database's schema as an append-only list of migrations. Migration <c>i</c> takes the schema from
/// version <c>i</c> to <c>i + 1</c>; the version lives in SQLite's <c>PRAGMA user_version</c> (PostgreSQL: <c>rlhf_schema</c>).
/// The SQL is written once for both databases in SQLite's types; <see cref="StoreDialect.Ddl"/> maps the types for
/// PostgreSQL (<c>INTEGER</c> → <c>BIGINT</c>, <c>INTEGER PRIMARY KEY</c> → an identity column). Never edit a shipped
/// migration: add a new one, so every existing database reaches the same schema.
/// </summary>
internal static class SchemaMigrations
{
    /// <summary>The migrations in order; <c>All.Count</c> is the current schema version.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        // v1: labelers (tokens stored only as SHA-256), tasks (K completions as a JSON array, content_key makes
        // enqueue idempotent) and labels (submission_id makes submit idempotent; one label per labeler and task)
        """
        CREATE TABLE labelers(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            token_sha256 TEXT NOT NULL UNIQUE,
            is_admin INTEGER NOT NULL DEFAULT 0,
            created_utc TEXT NOT NULL);
        CREATE TABLE tasks(
            id INTEGER PRIMARY KEY,
            prompt TEXT NOT NULL,
            completions_json TEXT NOT NULL,
            k INTEGER NOT NULL,
            source TEXT NOT NULL,
            content_key TEXT NOT NULL UNIQUE,
            created_utc TEXT NOT NULL);
        CREATE TABLE labels(
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            labeler_id INTEGER NOT NULL REFERENCES labelers(id),
            submission_id TEXT NOT NULL UNIQUE,
            ranking_json TEXT NOT NULL,
            ties_json TEXT NOT NULL,
            all_bad INTEGER NOT NULL,
            unsafe INTEGER NOT NULL,
            created_utc TEXT NOT NULL,
            UNIQUE(task_id, labeler_id));
        """,
        // v2: leases, so concurrent labelers are handed different tasks; a label count per task with an index, so
        // finding the next open task reads a few rows instead of counting labels of every task; the time a label took
        """
        ALTER TABLE tasks ADD COLUMN label_count INTEGER NOT NULL DEFAULT 0;
        UPDATE tasks SET label_count = (SELECT COUNT(*) FROM labels l WHERE l.task_id = tasks.id);
        CREATE INDEX tasks_open ON tasks(label_count DESC, id);
        CREATE TABLE leases(
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            labeler_id INTEGER NOT NULL REFERENCES labelers(id),
            expires_ms INTEGER NOT NULL,
            PRIMARY KEY(task_id, labeler_id));
        ALTER TABLE labels ADD COLUMN elapsed_ms INTEGER;
        CREATE INDEX labels_by_labeler ON labels(labeler_id);
        """,
        // v3: revocation (a revoked labeler's token is refused; 'rotate-token' gives a new one and lifts it)
        """
        ALTER TABLE labelers ADD COLUMN revoked_utc TEXT;
        """,
        // v4: multi-turn history, AI critiques and gold orders on tasks (JSON, NULL when absent); per label which
        // completions were flagged unsafe and whether AI critiques were shown
        """
        ALTER TABLE tasks ADD COLUMN messages_json TEXT;
        ALTER TABLE tasks ADD COLUMN critiques_json TEXT;
        ALTER TABLE tasks ADD COLUMN gold_json TEXT;
        ALTER TABLE labels ADD COLUMN unsafe_json TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE labels ADD COLUMN saw_critiques INTEGER NOT NULL DEFAULT 0;
        """,
    ];
}
