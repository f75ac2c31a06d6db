namespace Rlhf.Feedback.Tests;

/// <summary>A temporary directory deleted on dispose (one per test class instance).</summary>
public sealed class TempDir : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("rlhf-feedback-").FullName;

    public string File(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // pooled connections keep the database files open
        Directory.Delete(Root, recursive: true);
    }
}
