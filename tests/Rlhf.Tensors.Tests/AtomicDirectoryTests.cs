using Rlhf.Tensors.Serialization;

namespace Rlhf.Tensors.Tests;

public sealed class AtomicDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rlhf-atomicdir-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Write_ReplacesTheWholeDirectory_AndAFailedWriteKeepsThePreviousOne()
    {
        string dir = Path.Combine(_root, "ckpt");
        AtomicDirectory.Write(dir, tmp => { File.WriteAllText(Path.Combine(tmp, "a"), "1"); File.WriteAllText(Path.Combine(tmp, "state"), "s1"); });
        AtomicDirectory.Write(dir, tmp => File.WriteAllText(Path.Combine(tmp, "state"), "s2"));
        Assert.Equal(["state"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal("s2", File.ReadAllText(Path.Combine(dir, "state")));

        Assert.Throws<IOException>(() => AtomicDirectory.Write(dir, tmp =>
        {
            File.WriteAllText(Path.Combine(tmp, "state"), "half");
            throw new IOException("disk full");
        }));
        Assert.Equal("s2", File.ReadAllText(Path.Combine(dir, "state")));
        Assert.Equal(dir, AtomicDirectory.Find(dir, "state"));
        AtomicDirectory.Write(dir, tmp => File.WriteAllText(Path.Combine(tmp, "state"), "s3")); // the leftover .tmp is cleared
        Assert.Equal("s3", File.ReadAllText(Path.Combine(dir, "state")));
    }

    [Fact]
    public void Find_ReturnsTheOldCopy_WhenASaveDiedBetweenItsRenames_AndNullWithoutAnyCopy()
    {
        string dir = Path.Combine(_root, "ckpt");
        Assert.Null(AtomicDirectory.Find(dir, "state"));
        Directory.CreateDirectory(dir + ".old");
        File.WriteAllText(Path.Combine(dir + ".old", "state"), "s1");
        Assert.Equal(dir + ".old", AtomicDirectory.Find(dir, "state"));
        Directory.CreateDirectory(dir); // a directory without its marker file is not a complete copy
        Assert.Equal(dir + ".old", AtomicDirectory.Find(dir, "state"));
    }
}
