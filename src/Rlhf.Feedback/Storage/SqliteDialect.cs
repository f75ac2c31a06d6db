using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// The embedded default: one SQLite file, WAL journal, <c>synchronous=FULL</c> (a committed label survives a crash or
/// power loss), writers in <c>BEGIN IMMEDIATE</c> transactions (Microsoft.Data.Sqlite's default), other processes
/// waiting up to <see cref="FeedbackStore.BusyTimeoutMs"/>; the schema version is <c>PRAGMA user_version</c>.
/// </summary>
internal sealed class SqliteDialect : StoreDialect
{
    private readonly string _connectionString;

    public SqliteDialect(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"{path}: the directory {dir} does not exist");
        Location = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = FeedbackStore.BusyTimeoutMs / 1000,
        }.ToString();
    }

    public override string Name => "SQLite";

    public override string Location { get; }

    public override DbConnection Connect()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        Run(c, null, $"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {FeedbackStore.BusyTimeoutMs}");
        return c;
    }

    public override DbTransaction BeginWrite(DbConnection c) => ((SqliteConnection)c).BeginTransaction(deferred: false);

    public override DbTransaction BeginRelaxedWrite(DbConnection c)
    {
        Run(c, null, "PRAGMA synchronous = NORMAL"); // per connection; Connect() sets FULL again for the next user
        return BeginWrite(c);
    }

    public override void Prepare(DbConnection c) => Value(c, null, "PRAGMA journal_mode=WAL"); // persistent in the file: readers never block the writer

    public override int ReadVersion(DbConnection c, DbTransaction? tx) => Convert.ToInt32(Value(c, tx, "PRAGMA user_version"), CultureInfo.InvariantCulture);

    public override void WriteVersion(DbConnection c, DbTransaction tx, int version) => Run(c, tx, $"PRAGMA user_version = {version}");
}
