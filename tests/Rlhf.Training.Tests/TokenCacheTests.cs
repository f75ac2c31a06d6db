using System.Buffers.Binary;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Training.Tests;

public sealed class TokenCacheTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData(50_257, 2)]   // GPT-2 vocabulary: uint16
    [InlineData(70_000, 4)]   // ids ≥ 65536: int32
    public void RoundTrip_ChoosesWidth_AndKeepsKey(int vocab, int width)
    {
        // just over one I/O chunk (2^20 tokens), so the chunk boundary is crossed
        var rng = new Rlhf.Tensors.Rng(5);
        var tokens = new int[(1 << 20) + 5];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.NextInt(vocab);
        tokens[17] = vocab - 1;
        string path = _tmp.File("c.tokens");
        new TokenDataset(tokens).Save(path, "files=a.txt;vocab=ü");

        Assert.Equal(32 + "files=a.txt;vocab=ü"u8.Length + (long)tokens.Length * width, new FileInfo(path).Length);
        var (loaded, key) = TokenCache.Load(path);
        Assert.Equal(tokens, loaded);
        Assert.Equal("files=a.txt;vocab=ü", key);
        Assert.Equal("files=a.txt;vocab=ü", TokenCache.ReadSourceKey(path));
        Assert.Equal([path], Directory.GetFiles(_tmp.Root)); // atomic write left no temp file
    }

    [Fact]
    public void EmptyDataset_RoundTrips()
    {
        string path = _tmp.File("e.tokens");
        new TokenDataset(Array.Empty<int>()).Save(path);
        Assert.Equal(0, TokenDataset.Load(path).Count);
    }

    private string Corrupt(string name, Func<byte[], byte[]> edit)
    {
        string path = _tmp.File(name);
        new TokenDataset(new[] { 1, 2, 3, 300 }).Save(path, "k");
        File.WriteAllBytes(path, edit(File.ReadAllBytes(path)));
        return path;
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "magic", "bad magic" },
        { "version", "format version 2" },
        { "width", "3 bytes per token" },
        { "truncated", "bytes but the header describes" },
        { "padded", "bytes but the header describes" },
        { "id", "outside the header's id range [0, 301)" },
        { "short", "shorter than the 32-byte header" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void CorruptFile_ThrowsNamingFileAndProblem(string kind, string expected)
    {
        string path = Corrupt(kind + ".tokens", b =>
        {
            switch (kind)
            {
                case "magic": b[0] = (byte)'X'; return b;
                case "version": BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 2); return b;
                case "width": BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 3); return b;
                case "truncated": return b[..^1];
                case "padded": return [.. b, 0];
                case "id": BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(32 + 1 + 2), 301); return b;
                default: return b[..20];
            }
        });
        var e = Assert.Throws<DataFormatException>(() => TokenCache.Load(path));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void LoadOrBuild_BuildsOnce_RebuildsWhenKeyChanges()
    {
        string path = _tmp.File("corpus.tokens");
        int builds = 0;
        TokenDataset Build() { builds++; return new TokenDataset(new[] { 5, 6, builds }); }

        Assert.Equal([5, 6, 1], TokenDataset.LoadOrBuild(path, "v1", Build).Tokens.ToArray());
        Assert.Equal([5, 6, 1], TokenDataset.LoadOrBuild(path, "v1", Build).Tokens.ToArray());
        Assert.Equal(1, builds);
        Assert.Equal([5, 6, 2], TokenDataset.LoadOrBuild(path, "v2", Build).Tokens.ToArray());
        Assert.Equal(2, builds);

        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<DataFormatException>(() => TokenDataset.LoadOrBuild(path, "v2", Build)); // corrupt: not silently rebuilt
    }
}
