namespace Rlhf.Training.Tests;

/// <summary>A temporary directory deleted on dispose (one per test class instance).</summary>
public sealed class TempDir : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("rlhf-training-").FullName;

    public string File(string name) => Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
