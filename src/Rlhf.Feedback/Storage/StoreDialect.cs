using System.Data.Common;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// What differs between the two databases the label store runs on: how to connect, how a writer takes the write lock,
/// where the schema version lives, and the column types of the shared migrations (<see cref="SchemaMigrations"/>).
/// Everything else (the SQL of every query, parameters as <c>@name</c>, <c>RETURNING</c>, <c>ON CONFLICT</c>) is the
/// same text on both.
/// </summary>
internal abstract class StoreDialect
{
    /// <summary>A short name for messages: "SQLite" or "PostgreSQL".</summary>
    public abstract string Name { get; }

    /// <summary>Where the data lives, for messages (a file path, or host/database without credentials).</summary>
    public abstract string Location { get; }

    /// <summary>Opens a connection ready for queries.</summary>
    public abstract DbConnection Connect();

    /// <summary>
    /// Begins a transaction that holds the database's write lock until it ends, so the read-then-write steps of a
    /// submit or a lease see no other writer, in this process or another (SQLite: <c>BEGIN IMMEDIATE</c>;
    /// PostgreSQL: a transaction-scoped advisory lock).
    /// </summary>
    public abstract DbTransaction BeginWrite(DbConnection c);

    /// <summary>
    /// A write transaction (<see cref="BeginWrite"/>) whose commit need not wait for the disk: for leases, which are
    /// hints, not labels (the next label's commit makes them durable too).
    /// </summary>
    public virtual DbTransaction BeginRelaxedWrite(DbConnection c) => BeginWrite(c);

    /// <summary>Prepares the database for migrations (SQLite: WAL; PostgreSQL: the version table) inside <paramref name="tx"/> where it can.</summary>
    public abstract void Prepare(DbConnection c);

    /// <summary>The schema version stored in the database (0 for a new one).</summary>
    public abstract int ReadVersion(DbConnection c, DbTransaction? tx);

    /// <summary>Records <paramref name="version"/> as the schema version, in <paramref name="tx"/>.</summary>
    public abstract void WriteVersion(DbConnection c, DbTransaction tx, int version);

    /// <summary>A shared migration in this database's types.</summary>
    public virtual string Ddl(string migration) => migration;

    internal static void Run(DbConnection c, DbTransaction? tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    internal static object? Value(DbConnection c, DbTransaction? tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }
}
