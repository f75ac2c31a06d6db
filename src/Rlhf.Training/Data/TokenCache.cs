using Rlhf.Tensors.Serialization;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Rlhf.Data;

namespace Rlhf.Training.Data;

/// <summary>
/// The <c>.tokens</c> binary cache, so a corpus is tokenized once. Little-endian throughout:
/// <code>
/// offset  size  field
///  0       8    magic "RLHFTOKS" (ASCII)
///  8       4    uint32 format version = 1
/// 12       4    uint32 bytes per token: 2 (uint16, used when every id &lt; 65536) or 4 (int32)
/// 16       8    int64  token count N (≤ Array.MaxLength)
/// 24       4    int32  id bound V = max id + 1 (0 when N = 0); every token lies in [0, V)
/// 28       4    int32  K = byte length of the source key (≤ 1 MiB)
/// 32       K    source key, UTF-8: what the tokens were built from (files, sizes, tokenizer); free-form
/// 32+K   N·w    the tokens
/// </code>
/// Reading validates the magic, version, width, lengths (the file must be exactly 32 + K + N·w bytes, so a truncated
/// or padded file is rejected) and every id against V; errors are <see cref="DataFormatException"/> naming the file.
/// There is no checksum: a bit flip that keeps ids in range goes unnoticed. Writes are atomic (temp + rename).
/// </summary>
public static class TokenCache
{
    private static ReadOnlySpan<byte> Magic => "RLHFTOKS"u8;
    private const uint Version = 1;
    private const int HeaderBytes = 32;
    private const int MaxKeyBytes = 1 << 20;
    private const int Chunk = 1 << 20; // tokens per read/write chunk (spans cannot exceed 2 GiB of bytes)

    /// <summary>Writes <paramref name="tokens"/> (all ≥ 0) with <paramref name="sourceKey"/> to <paramref name="path"/>, atomically.</summary>
    public static void Save(string path, ReadOnlyMemory<int> tokens, string sourceKey = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sourceKey);
        var all = tokens.Span;
        int max = -1;
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] < 0) throw new ArgumentException($"TokenCache.Save: token {i} is negative ({all[i]})", nameof(tokens));
            if (all[i] > max) max = all[i];
        }
        int width = max < 65536 ? 2 : 4;
        byte[] key = Encoding.UTF8.GetBytes(sourceKey);
        if (key.Length > MaxKeyBytes) throw new ArgumentException($"TokenCache.Save: source key is {key.Length} bytes, at most {MaxKeyBytes}", nameof(sourceKey));

        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)width);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), tokens.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), max + 1);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(28), key.Length);

        AtomicFile.Write(path, fs =>
        {
            fs.Write(header);
            fs.Write(key);
            var buf = new byte[Chunk * width];
            for (int start = 0; start < tokens.Length; start += Chunk)
            {
                int n = Math.Min(Chunk, tokens.Length - start);
                var src = tokens.Span.Slice(start, n);
                var dst = buf.AsSpan(0, n * width);
                if (width == 2)
                    for (int i = 0; i < n; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], (ushort)src[i]);
                else
                    for (int i = 0; i < n; i++) BinaryPrimitives.WriteInt32LittleEndian(dst[(4 * i)..], src[i]);
                fs.Write(dst);
            }
        });
    }

    /// <summary>Reads and validates a cache file: its tokens and source key.</summary>
    public static (int[] Tokens, string SourceKey) Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var (count, width, bound, key) = ReadHeader(fs, path);
        var tokens = new int[count];
        var buf = new byte[Chunk * width];
        for (int start = 0; start < tokens.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, tokens.Length - start);
            var src = buf.AsSpan(0, n * width);
            fs.ReadExactly(src); // length was checked against the header, so this cannot hit end of file
            var dst = tokens.AsSpan(start, n);
            if (width == 2)
            {
                var ids = MemoryMarshal.Cast<byte, ushort>(src);
                if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(ids, ids);
                for (int i = 0; i < n; i++) dst[i] = ids[i];
            }
            else
            {
                MemoryMarshal.Cast<byte, int>(src).CopyTo(dst);
                if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(dst, dst);
            }
            for (int i = 0; i < n; i++)
                if ((uint)dst[i] >= (uint)bound)
                    throw new DataFormatException($"{path}: token {start + i} is {dst[i]}, outside the header's id range [0, {bound}); the file is corrupt");
        }
        return (tokens, key);
    }

    /// <summary>The source key of a cache file (reads and validates only the header), or null when the file does not exist.</summary>
    public static string? ReadSourceKey(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) return null;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        return ReadHeader(fs, path).Key;
    }

    private static (int Count, int Width, int Bound, string Key) ReadHeader(FileStream fs, string path)
    {
        DataFormatException Fail(string what) => new($"{path}: {what}; not a valid .tokens cache (delete it to rebuild)");
        long length = fs.Length;
        if (length < HeaderBytes) throw Fail($"file is {length} bytes, shorter than the {HeaderBytes}-byte header");
        Span<byte> h = stackalloc byte[HeaderBytes];
        fs.ReadExactly(h);
        if (!h[..8].SequenceEqual(Magic)) throw Fail("bad magic (expected \"RLHFTOKS\")");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        if (version != Version) throw Fail($"format version {version}, expected {Version}");
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        if (width is not (2 or 4)) throw Fail($"{width} bytes per token, expected 2 or 4");
        long count = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        if (count < 0 || count > Array.MaxLength) throw Fail($"token count {count} is out of range");
        int bound = BinaryPrimitives.ReadInt32LittleEndian(h[24..]);
        if (bound < 0 || (width == 2 && bound > 65536) || (count > 0) != (bound > 0)) throw Fail($"id bound {bound} is inconsistent with {count} tokens of {width} bytes");
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(h[28..]);
        if (keyLength < 0 || keyLength > MaxKeyBytes) throw Fail($"source key length {keyLength} is out of range");
        long expected = HeaderBytes + keyLength + count * width;
        if (length != expected) throw Fail($"file is {length} bytes but the header describes {expected} ({count} tokens × {width} bytes + {keyLength}-byte key + header)");
        var key = new byte[keyLength];
        fs.ReadExactly(key);
        string text;
        try { text = new UTF8Encoding(false, true).GetString(key); }
        catch (DecoderFallbackException) { throw Fail("source key is not valid UTF-8"); }
        return ((int)count, (int)width, bound, text);
    }
}
