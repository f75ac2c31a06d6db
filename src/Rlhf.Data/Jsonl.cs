using Rlhf.Tensors.Serialization;
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Rlhf.Data;

/// <summary>
/// JSON Lines files: one JSON object per line, UTF-8. Field names come from <c>[JsonPropertyName]</c> attributes on
/// the record (no naming policy, case-sensitive), so snake_case and camelCase files both map onto PascalCase records.
/// <para>
/// Reading is strict: blank lines are skipped, and every other line must be a JSON object whose required fields
/// (constructor parameters without defaults, <c>required</c> members) are present, non-null where the type is
/// non-nullable, of the right JSON type, and pass <see cref="IJsonlRecord.Validate"/>. Anything else throws
/// <see cref="DataFormatException"/> with <c>path:line: what was expected</c>; invalid UTF-8 is an error too, never
/// silently replaced. Unknown fields are ignored. Not supported: JSON values spanning several lines, comments,
/// trailing commas.
/// </para>
/// </summary>
public static class Jsonl
{
    private static readonly JsonSerializerOptions Options = new()
    {
        RespectNullableAnnotations = true,            // "prompt": null is an error for a non-nullable string
        RespectRequiredConstructorParameters = true,  // a missing positional-record field is an error, not null
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keep non-ASCII text readable in written files
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        Converters = { new JsonStringEnumConverter() },    // enums by name: readable and robust to reordering
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Lazily reads <paramref name="path"/>, yielding each record with its 1-based line number. Throws
    /// <see cref="DataFormatException"/> (<c>path:line: ...</c>) at the first malformed line.
    /// </summary>
    public static IEnumerable<(int Line, T Record)> Read<T>(string path) where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        foreach (var (line, text) in ReadLines(path))
            if (!string.IsNullOrWhiteSpace(text)) yield return (line, Parse(text, info, path, line));
    }

    /// <summary>
    /// One object already read (e.g. by <see cref="Read{T}"/> of <see cref="System.Text.Json.Nodes.JsonObject"/>, to
    /// look at a field first) as a <typeparamref name="T"/>, with the same checks and <c>path:line:</c> messages as
    /// <see cref="Read{T}"/>.
    /// </summary>
    public static T Deserialize<T>(System.Text.Json.Nodes.JsonObject record, string path, int line) where T : class
    {
        ArgumentNullException.ThrowIfNull(record);
        return Parse(record.ToJsonString(), (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)), path, line);
    }

    /// <summary>
    /// The file's lines (without <c>\n</c> / <c>\r\n</c>, a leading UTF-8 BOM dropped), decoded strictly one line at a
    /// time so an invalid byte is reported on its own line (a StreamReader decodes whole buffers ahead).
    /// </summary>
    private static IEnumerable<(int Line, string Text)> ReadLines(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var chunk = new byte[1 << 16];
        var pending = new ArrayBufferWriter<byte>();
        int line = 0, read;
        while ((read = fs.Read(chunk)) > 0)
        {
            for (int start = 0; start < read;)
            {
                int nl = Array.IndexOf(chunk, (byte)'\n', start, read - start);
                pending.Write(chunk.AsSpan(start, (nl < 0 ? read : nl) - start));
                if (nl < 0) break;
                line++;
                string text = DecodeLine(pending.WrittenSpan, line, path);
                pending.ResetWrittenCount();
                start = nl + 1;
                yield return (line, text);
            }
        }
        if (pending.WrittenCount > 0) yield return (line + 1, DecodeLine(pending.WrittenSpan, line + 1, path)); // no final newline
    }

    private static string DecodeLine(ReadOnlySpan<byte> bytes, int line, string path)
    {
        if (line == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        if (bytes.EndsWith((ReadOnlySpan<byte>)[(byte)'\r'])) bytes = bytes[..^1];
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException e) { throw new DataFormatException($"{path}:{line}: expected UTF-8 text, found invalid bytes", e); }
    }

    /// <summary>Parses one line into a <typeparamref name="T"/>, or throws with <c>path:line:</c>.</summary>
    private static T Parse<T>(string text, JsonTypeInfo<T> info, string path, int line) where T : class
    {
        DataFormatException Fail(string what, Exception? inner = null) => new($"{path}:{line}: {what}", inner);

        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e)
        {
            long column = (e.BytePositionInLine ?? 0) + 1;
            throw Fail($"expected one JSON object, found invalid JSON at byte {column}: {StripPosition(e.Message)}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail($"expected a JSON object, found {Kind(root)}");

            // Check fields ourselves first: the messages say which field and what it should be.
            foreach (var p in info.Properties)
            {
                bool present = root.TryGetProperty(p.Name, out var value);
                bool required = p.IsRequired || p.AssociatedParameter is { HasDefaultValue: false };
                if (!present)
                {
                    if (required) throw Fail($"missing required field '{p.Name}' ({Expected(p.PropertyType)})");
                    continue;
                }
                if (value.ValueKind == JsonValueKind.Null && !p.IsSetNullable) throw Fail($"field '{p.Name}' is null; expected {Expected(p.PropertyType)}");
            }

            T? record;
            try { record = root.Deserialize(info); }
            catch (JsonException e)
            {
                // A top-level field of the wrong type: name it and say what it held; deeper errors keep the serializer's words.
                string field = e.Path is { } jp && jp.StartsWith("$.", StringComparison.Ordinal) ? jp[2..] : "";
                var prop = info.Properties.FirstOrDefault(p => p.Name == field);
                if (prop is not null && root.TryGetProperty(field, out var v))
                    throw Fail($"field '{field}' is {Kind(v)}; expected {Expected(prop.PropertyType)}", e);
                throw Fail($"{(e.Path is null ? "" : "at " + e.Path + ": ")}{StripPosition(e.Message)}", e);
            }
            if (record is null) throw Fail("expected a JSON object, found null");
            if (record is IJsonlRecord r && r.Validate() is { } problem) throw Fail(problem);
            return record;
        }
    }

    /// <summary>
    /// Writes <paramref name="records"/> one per line (<c>\n</c>, UTF-8 without BOM). Atomic: lines go to a temporary
    /// file beside <paramref name="path"/>, which is flushed to disk and renamed over it, so a crash leaves any
    /// previous file intact. Returns the number of records written.
    /// </summary>
    public static int Write<T>(string path, IEnumerable<T> records)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(records);
        var info = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        int count = 0;
        AtomicFile.Write(path, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = Options.Encoder });
            foreach (var record in records)
            {
                JsonSerializer.Serialize(writer, record, info); // compact: strings escape \n, so one line per record
                writer.Flush();
                stream.WriteByte((byte)'\n');
                writer.Reset();
                count++;
            }
        });
        return count;
    }

    /// <summary>What a JSON value is, for messages: <c>a number (3)</c>, <c>a string</c>, <c>an array</c>, ...</summary>
    internal static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"a number ({Shorten(e.GetRawText())})",
        JsonValueKind.True or JsonValueKind.False => $"a boolean ({e.GetRawText()})",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static string Shorten(string s) => s.Length <= 24 ? s : s[..24] + "...";

    /// <summary>What a .NET type reads from, for messages.</summary>
    private static string Expected(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return "a string";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte) || t == typeof(uint) || t == typeof(ulong))
            return "an integer";
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return "a number";
        if (t.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(t))}";
        return Options.GetTypeInfo(t).Kind switch
        {
            JsonTypeInfoKind.Enumerable => "an array",
            JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
            _ => t.Name,
        };
    }

    /// <summary>Drops System.Text.Json's "Path: $ | LineNumber: 0 | BytePositionInLine: 3." tail (we report our own position).</summary>
    private static string StripPosition(string message)
    {
        int cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd();
    }
}
