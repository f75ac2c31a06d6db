namespace Rlhf.Games.Tests;

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("rlhf-games-").FullName;

    public string File(string name) => Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
