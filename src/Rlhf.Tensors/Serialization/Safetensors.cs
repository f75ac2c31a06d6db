using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Rlhf.Tensors.Serialization;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors):
/// <code>
/// [u64 little-endian N] [N bytes UTF-8 JSON header, space-padded] [data buffer]
/// header: {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
/// </code>
/// Offsets are byte offsets relative to the start of the data buffer; tensor data is little-endian, row-major.
/// <para>
/// Writing: always F32, tensors sorted by name (ordinal) and packed in that order, metadata first, header padded
/// with spaces to a multiple of 8 bytes (as the reference writer does), atomically (temp file + rename).
/// Reading: F32, F16, BF16 and F64 (all converted to F32). Integer, bool and FP8 dtypes are not supported and are
/// rejected by name. Validation follows the reference reader: the tensors must tile the data buffer exactly
/// (sorted by offset, no gaps, no overlaps, nothing left over). Every malformed input raises
/// <see cref="SafetensorsFormatException"/> naming the file and the problem.
/// </para>
/// </summary>
public static class Safetensors
{
    /// <summary>Largest header accepted (the reference implementation's limit): a bigger length field means a corrupt file.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    // ------------------------------------------------------------------------------------------------ writing

    /// <summary>
    /// Writes <paramref name="tensors"/> as F32 (non-contiguous views in row-major order) with optional string
    /// <paramref name="metadata"/> to <paramref name="path"/>. Atomic: the bytes go to <c>path.tmp-&lt;random&gt;</c>
    /// in the same directory, are flushed to disk, then renamed over <paramref name="path"/>, so a crash mid-save
    /// leaves any existing file intact (the directory entry itself is not fsynced).
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata, out var ordered); // validate before touching the disk
        AtomicFile.Write(path, fs => WriteBody(fs, header, ordered), bufferSize: 1 << 20);
    }

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> to <paramref name="stream"/> (same layout as <see cref="Save"/>).</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata, out var ordered);
        WriteBody(stream, header, ordered);
    }

    /// <summary>The safetensors bytes of <paramref name="tensors"/> (same layout as <see cref="Save"/>).</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream();
        Write(ms, tensors, metadata);
        return ms.ToArray();
    }

    /// <summary>The space-padded JSON header; <paramref name="ordered"/> gets the tensors in data order (names sorted ordinally).</summary>
    private static byte[] BuildHeader(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata,
        out KeyValuePair<string, Tensor>[] ordered)
    {
        ordered = tensors.ToArray();
        foreach (var (name, t) in ordered)
        {
            if (t is null) throw new ArgumentException($"Safetensors.Save: tensor '{name}' is null", nameof(tensors));
            if (name == MetadataKey) throw new ArgumentException($"Safetensors.Save: '{MetadataKey}' is reserved and cannot name a tensor", nameof(tensors));
        }
        Array.Sort(ordered, (a, b) => string.CompareOrdinal(a.Key, b.Key));

        using var ms = new MemoryStream();
        // relaxed escaping: names and metadata appear literally (non-ASCII stays UTF-8), as serde_json writes them
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is not null)
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (v is null) throw new ArgumentException($"Safetensors.Save: metadata value for '{k}' is null", nameof(metadata));
                    w.WriteString(k, v);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in ordered)
            {
                long bytes = 4L * t.Size;
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        // pad with spaces so the data buffer starts 8-byte aligned (8 + N ≡ 0 mod 8), like the reference writer
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    private static void WriteBody(Stream stream, byte[] header, KeyValuePair<string, Tensor>[] ordered)
    {
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        stream.Write(len);
        stream.Write(header);
        foreach (var (_, t) in ordered)
        {
            ReadOnlySpan<float> data = t.IsContiguous ? t.Span : t.ToArray();
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(data));
            }
            else
            {
                var le = new int[data.Length];
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(data), le);
                stream.Write(MemoryMarshal.AsBytes(le.AsSpan()));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /// <summary>Reads the safetensors file at <paramref name="path"/> (tensors converted to F32).</summary>
    public static SafetensorsFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(fs, path);
    }

    /// <summary>Parses safetensors bytes; <paramref name="source"/> names them in error messages.</summary>
    public static SafetensorsFile Read(byte[] bytes, string source = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var ms = new MemoryStream(bytes, writable: false);
        return Read(ms, source);
    }

    /// <summary>
    /// Reads safetensors data from <paramref name="stream"/>, from its current position to its end (a non-seekable
    /// stream is buffered in memory first); <paramref name="source"/> names it in error messages.
    /// </summary>
    public static SafetensorsFile Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (!stream.CanSeek)
        {
            var buffered = new MemoryStream();
            stream.CopyTo(buffered);
            buffered.Position = 0;
            stream = buffered;
        }

        long total = stream.Length - stream.Position;
        if (total < 8) throw Fail(source, $"file is {total} bytes, too short for the 8-byte header length (truncated?)");
        Span<byte> len = stackalloc byte[8];
        stream.ReadExactly(len);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n > MaxHeaderBytes)
            throw Fail(source, $"header length {n} exceeds the {MaxHeaderBytes}-byte limit (corrupt, or not a safetensors file)");
        if ((long)n > total - 8)
            throw Fail(source, $"header length {n} is larger than the {total - 8} bytes that follow it (truncated file?)");
        var header = new byte[n];
        stream.ReadExactly(header);
        long dataLength = total - 8 - (long)n;

        var (entries, metadata) = ParseHeader(header, source);
        ValidateLayout(entries, dataLength, source);

        // read in data order (the stream only moves forward), keep header order for the result
        var byOffset = entries.ToArray();
        Array.Sort(byOffset, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        foreach (var e in byOffset) e.Tensor = ReadTensor(stream, e);

        var tensors = new OrderedDictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries) tensors.Add(e.Name, e.Tensor!);
        return new SafetensorsFile(source, tensors, metadata);
    }

    private sealed class Entry(string name, string dtype, int elementBytes, int[] shape, long elements, long begin, long end)
    {
        public string Name { get; } = name;
        public string DType { get; } = dtype;
        public int ElementBytes { get; } = elementBytes;
        public int[] Shape { get; } = shape;
        public long Elements { get; } = elements;
        public long Begin { get; } = begin;
        public long End { get; } = end;
        public Tensor? Tensor { get; set; }
    }

    private static int ElementBytes(string dtype) => dtype switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        "F64" => 8,
        _ => 0,
    };

    private static (List<Entry>, IReadOnlyDictionary<string, string>) ParseHeader(byte[] header, string source)
    {
        if (!Utf8.IsValid(header)) throw Fail(source, "header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Fail(source, $"header is not valid JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail(source, $"header must be a JSON object, got {root.ValueKind}");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var prop in root.EnumerateObject())
            {
                if (prop.Name == MetadataKey)
                {
                    if (sawMetadata) throw Fail(source, $"'{MetadataKey}' appears twice");
                    sawMetadata = true;
                    if (prop.Value.ValueKind == JsonValueKind.Null) continue;
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw Fail(source, $"'{MetadataKey}' must be an object of strings, got {prop.Value.ValueKind}");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Fail(source, $"metadata value '{m.Name}' must be a string, got {m.Value.ValueKind}");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Fail(source, $"metadata key '{m.Name}' appears twice");
                    }
                    continue;
                }
                if (!names.Add(prop.Name)) throw Fail(source, $"tensor '{prop.Name}' appears twice in the header");
                entries.Add(ParseEntry(prop.Name, prop.Value, source));
            }
            return (entries, metadata);
        }
    }

    private static Entry ParseEntry(string name, JsonElement info, string source)
    {
        if (info.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"tensor '{name}': entry must be an object, got {info.ValueKind}");

        if (!info.TryGetProperty("dtype", out var dtypeEl)) throw Fail(source, $"tensor '{name}': missing 'dtype'");
        if (dtypeEl.ValueKind != JsonValueKind.String) throw Fail(source, $"tensor '{name}': 'dtype' must be a string, got {dtypeEl.ValueKind}");
        string dtype = dtypeEl.GetString()!;
        int elementBytes = ElementBytes(dtype);
        if (elementBytes == 0) throw Fail(source, $"tensor '{name}': unsupported dtype '{dtype}' (supported: F32, F16, BF16, F64)");

        if (!info.TryGetProperty("shape", out var shapeEl)) throw Fail(source, $"tensor '{name}': missing 'shape'");
        if (shapeEl.ValueKind != JsonValueKind.Array) throw Fail(source, $"tensor '{name}': 'shape' must be an array, got {shapeEl.ValueKind}");
        var shape = new int[shapeEl.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim))
                throw Fail(source, $"tensor '{name}': shape entry {i} ({d.GetRawText()}) is not an integer");
            if (dim < 0) throw Fail(source, $"tensor '{name}': negative dimension {dim} in shape {shapeEl.GetRawText()}");
            if (dim > Array.MaxLength) throw Fail(source, $"tensor '{name}': dimension {dim} in shape {shapeEl.GetRawText()} is too large");
            shape[i++] = (int)dim;
            elements = elements == 0 || dim == 0 ? 0 : elements * dim;
            if (elements > Array.MaxLength)
                throw Fail(source, $"tensor '{name}': shape {shapeEl.GetRawText()} has more elements than a float[] can hold");
        }

        if (!info.TryGetProperty("data_offsets", out var offEl)) throw Fail(source, $"tensor '{name}': missing 'data_offsets'");
        if (offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw Fail(source, $"tensor '{name}': 'data_offsets' must be an array [begin, end], got {offEl.GetRawText()}");
        if (!TryGetNonNegative(offEl[0], out long begin) || !TryGetNonNegative(offEl[1], out long end))
            throw Fail(source, $"tensor '{name}': 'data_offsets' {offEl.GetRawText()} must be two non-negative integers");
        if (end < begin) throw Fail(source, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");
        long expected = elements * elementBytes;
        if (end - begin != expected)
            throw Fail(source, $"tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes, but shape {shapeEl.GetRawText()} × {dtype} needs {expected}");
        return new Entry(name, dtype, elementBytes, shape, elements, begin, end);
    }

    private static bool TryGetNonNegative(JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value) && value >= 0;
    }

    /// <summary>The tensors must tile [0, dataLength) exactly, in offset order (reference reader's rule).</summary>
    private static void ValidateLayout(List<Entry> entries, long dataLength, string source)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long at = 0;
        string previous = "the start of the data buffer";
        foreach (var e in sorted)
        {
            if (e.End > dataLength)
                throw Fail(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] run past the {dataLength}-byte data buffer (truncated file?)");
            if (e.Begin < at)
                throw Fail(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] overlap {previous} (which ends at {at})");
            if (e.Begin > at)
                throw Fail(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] leave a {e.Begin - at}-byte gap after {previous}");
            at = e.End;
            previous = $"tensor '{e.Name}'";
        }
        if (at != dataLength)
            throw Fail(source, $"data buffer is {dataLength} bytes but the tensors cover {at} (size mismatch: extra or missing data)");
    }

    private static Tensor ReadTensor(Stream stream, Entry e)
    {
        var data = new float[e.Elements];
        if (e.DType == "F32")
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            if (!BitConverter.IsLittleEndian)
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(data.AsSpan()), MemoryMarshal.Cast<float, int>(data.AsSpan()));
        }
        else
        {
            // convert in chunks so a large F16/F64 tensor needs no second full-size buffer
            var raw = new byte[Math.Min(1 << 16, e.End - e.Begin)];
            int perChunk = raw.Length / e.ElementBytes;
            for (int start = 0; start < data.Length; start += perChunk)
            {
                int count = Math.Min(perChunk, data.Length - start);
                var bytes = raw.AsSpan(0, count * e.ElementBytes);
                stream.ReadExactly(bytes);
                var dst = data.AsSpan(start, count);
                switch (e.DType)
                {
                    case "F16":
                        for (int i = 0; i < dst.Length; i++)
                            dst[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                        break;
                    case "BF16": // bfloat16 = the upper 16 bits of a float32
                        for (int i = 0; i < dst.Length; i++)
                            dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                        break;
                    case "F64":
                        for (int i = 0; i < dst.Length; i++)
                            dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                        break;
                }
            }
        }
        return new Tensor(data, e.Shape) { Name = e.Name };
    }

    private static SafetensorsFormatException Fail(string source, string what) => new($"{source}: invalid safetensors file: {what}");
}
