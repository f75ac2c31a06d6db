using Npgsql;
using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Tests;

/// <summary>
/// A fresh, empty label database for one test: a SQLite file in a temp directory, or a new database on the local
/// PostgreSQL server named by <c>RLHF_TEST_POSTGRES</c> (default: the one <c>.ci/postgres-start</c> runs), dropped on dispose.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    /// <summary>The maintenance connection string of the test server.</summary>
    public static string PostgresAdmin => Environment.GetEnvironmentVariable("RLHF_TEST_POSTGRES") is { Length: > 0 } s
        ? s : "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";

    private static readonly Lazy<string?> Problem = new(() =>
    {
        try
        {
            using var c = new NpgsqlConnection(PostgresAdmin + ";Timeout=3;Pooling=false");
            c.Open();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or ArgumentException or TimeoutException)
        {
            return $"no PostgreSQL at '{PostgresAdmin}' ({e.Message}): run .ci/postgres-start or set RLHF_TEST_POSTGRES";
        }
    });

    private readonly string? _pgName;
    private readonly TempDir? _dir;

    private TestDatabase(string database, string? pgName, TempDir? dir)
    {
        Database = database;
        _pgName = pgName;
        _dir = dir;
    }

    /// <summary>Why PostgreSQL tests cannot run here, or null when the server answers.</summary>
    public static string? PostgresProblem => Problem.Value;

    /// <summary>What <see cref="FeedbackStore.Open"/> takes: a file path or a connection string.</summary>
    public string Database { get; }

    public static TestDatabase Create(Backend backend, string name = "labels")
    {
        if (backend == Backend.Sqlite)
        {
            var dir = new TempDir();
            return new TestDatabase(dir.File(name + ".db"), null, dir);
        }
        string db = $"rlhf_test_{Guid.NewGuid():N}";
        using (var c = new NpgsqlConnection(PostgresAdmin + ";Pooling=false"))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {db}", c);
            cmd.ExecuteNonQuery();
        }
        var builder = new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = db, MaxPoolSize = 40 };
        return new TestDatabase(builder.ConnectionString, db, null);
    }

    public FeedbackStore Open(TimeProvider? clock = null) => FeedbackStore.Open(Database, clock);

    public void Dispose()
    {
        _dir?.Dispose();
        if (_pgName is null) return;
        using var c = new NpgsqlConnection(PostgresAdmin + ";Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgName} WITH (FORCE)", c);
        cmd.ExecuteNonQuery();
    }
}
