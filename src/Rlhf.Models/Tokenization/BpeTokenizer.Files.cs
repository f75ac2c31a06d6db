using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Tokenization;

// Loading and saving: GPT-2's vocab.json + merges.txt, and Hugging Face's tokenizer.json (byte-level BPE only).
public sealed partial class BpeTokenizer
{
    /// <summary>
    /// Loads a tokenizer from a directory (its <c>tokenizer.json</c> if present, else <c>vocab.json</c> +
    /// <c>merges.txt</c>) or from a <c>tokenizer.json</c> file.
    /// </summary>
    /// <exception cref="TokenizerFormatException">A file is malformed; the message names it.</exception>
    public static BpeTokenizer Load(string path)
    {
        if (!Directory.Exists(path)) return LoadHuggingFace(path);
        string json = Path.Combine(path, "tokenizer.json");
        if (File.Exists(json)) return LoadHuggingFace(json);
        string vocab = Path.Combine(path, "vocab.json"), merges = Path.Combine(path, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges)) return LoadGpt2(vocab, merges);
        throw new FileNotFoundException($"{path}: no tokenizer.json, and no vocab.json + merges.txt pair");
    }

    /// <summary>Saves <c>tokenizer.json</c> into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        SaveHuggingFace(Path.Combine(directory, "tokenizer.json"));
    }

    /// <summary>
    /// Loads GPT-2 files: <c>vocab.json</c> ({token: id}, ids exactly 0..N-1) and <c>merges.txt</c> (optional
    /// <c>#version</c> first line, then one "left right" pair per line, rank = order; blank lines are skipped).
    /// These files do not say which tokens are special: <see cref="EndOfTextToken"/> and <see cref="PadToken"/> are
    /// when present, plus <paramref name="specialTokens"/>.
    /// </summary>
    /// <exception cref="TokenizerFormatException">A file is malformed; the message gives file (and line) and what is wrong.</exception>
    public static BpeTokenizer LoadGpt2(string vocabPath, string mergesPath, IEnumerable<string>? specialTokens = null)
    {
        var vocab = new List<(string Token, int Id, string Where)>();
        using (JsonDocument doc = ParseJson(vocabPath))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new TokenizerFormatException($"{vocabPath}: expected a JSON object {{token: id}}, got {doc.RootElement.ValueKind}");
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
                vocab.Add((p.Name, ReadId(p.Value, $"{vocabPath}: token {Quote(p.Name)}"), ""));
        }
        string[] tokens = VocabById(vocab, vocabPath);

        var merges = new List<(string, string)>();
        var lines = new List<int>();
        using (var reader = new StreamReader(mergesPath, Encoding.UTF8))
        {
            int lineNo = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNo++;
                if (line.Length == 0 || (lineNo == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
                merges.Add(SplitMerge(line) ?? throw new TokenizerFormatException(
                    $"{mergesPath}:{lineNo}: expected two tokens separated by one space, got {Quote(line)}"));
                lines.Add(lineNo);
            }
        }

        var specials = new List<string>(specialTokens ?? []);
        foreach (string s in new[] { EndOfTextToken, PadToken })
            if (Array.IndexOf(tokens, s) >= 0 && !specials.Contains(s)) specials.Add(s);
        return new BpeTokenizer(tokens, merges, specials, vocabPath, i => $"{mergesPath}:{lines[i]}",
            msg => new TokenizerFormatException(msg));
    }

    /// <summary>
    /// Saves GPT-2 files: <c>vocab.json</c> (tokens in id order) and <c>merges.txt</c> (<c>#version: 0.2</c>, then one
    /// merge per line). Special tokens other than <see cref="EndOfTextToken"/> and <see cref="PadToken"/> must be
    /// named again to <see cref="LoadGpt2"/>; <c>tokenizer.json</c> keeps them. Each file is written atomically.
    /// </summary>
    public void SaveGpt2(string vocabPath, string mergesPath)
    {
        WriteAtomic(vocabPath, stream =>
        {
            using var w = new Utf8JsonWriter(stream, JsonOptions);
            w.WriteStartObject();
            for (int id = 0; id < _tokens.Length; id++) w.WriteNumber(_tokens[id], id);
            w.WriteEndObject();
        });
        WriteAtomic(mergesPath, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: -1, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine("#version: 0.2");
            foreach (var (left, right) in _merges) w.WriteLine(left + " " + right);
        });
    }

    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c> whose model is byte-level BPE: <c>model.type</c> "BPE",
    /// <c>model.vocab</c> {token: id}, <c>model.merges</c> as "left right" strings or [left, right] arrays,
    /// <c>added_tokens</c> (all must be special), <c>pre_tokenizer</c> ByteLevel without add_prefix_space, no
    /// normalizer. Anything else is refused with a message rather than silently tokenized differently.
    /// Added-token flags lstrip/rstrip/single_word/normalized are ignored.
    /// </summary>
    /// <exception cref="TokenizerFormatException">The file is malformed or unsupported; the message names it and the JSON path.</exception>
    public static BpeTokenizer LoadHuggingFace(string path)
    {
        using JsonDocument doc = ParseJson(path);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the root is not a JSON object");
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
            throw Bad("model is missing");
        string? type = OptionalString(model, "type");
        if (type != "BPE") throw Bad($"model.type is {Quote(type ?? "missing")}; only \"BPE\" is supported");
        if (root.TryGetProperty("normalizer", out JsonElement norm) && norm.ValueKind != JsonValueKind.Null)
            throw Bad("normalizer is set; normalizers are not supported");
        CheckPreTokenizer(root.TryGetProperty("pre_tokenizer", out JsonElement pre) ? pre : default);
        if (model.TryGetProperty("dropout", out JsonElement dropout) && dropout.ValueKind != JsonValueKind.Null)
            throw Bad("model.dropout is set; BPE dropout is not supported");
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(OptionalString(model, affix))) throw Bad($"model.{affix} is set; it is not supported");
        if (model.TryGetProperty("byte_fallback", out JsonElement fallback) && fallback.ValueKind == JsonValueKind.True)
            throw Bad("model.byte_fallback is true; <0xNN> byte fallback is not byte-level BPE and is not supported");

        if (!model.TryGetProperty("vocab", out JsonElement vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw Bad("model.vocab is missing or not an object");
        var vocab = new List<(string Token, int Id, string Where)>();
        foreach (JsonProperty p in vocabJson.EnumerateObject())
            vocab.Add((p.Name, ReadId(p.Value, $"{path}: model.vocab[{Quote(p.Name)}]"), "model.vocab"));

        var specials = new List<string>();
        if (root.TryGetProperty("added_tokens", out JsonElement added) && added.ValueKind != JsonValueKind.Null)
        {
            if (added.ValueKind != JsonValueKind.Array) throw Bad("added_tokens is not an array");
            int i = 0;
            foreach (JsonElement t in added.EnumerateArray())
            {
                string where = $"added_tokens[{i++}]";
                if (t.ValueKind != JsonValueKind.Object) throw Bad($"{where} is not an object");
                string content = OptionalString(t, "content") ?? throw Bad($"{where}.content is missing");
                int id = t.TryGetProperty("id", out JsonElement idJson) ? ReadId(idJson, $"{path}: {where}.id") : throw Bad($"{where}.id is missing");
                if (!(t.TryGetProperty("special", out JsonElement sp) && sp.ValueKind == JsonValueKind.True))
                    throw Bad($"{where} ({Quote(content)}) is not special; non-special added tokens are not supported");
                vocab.Add((content, id, where));   // usually also in model.vocab with the same id; VocabById checks
                specials.Add(content);
            }
        }
        string[] tokens = VocabById(vocab, path);

        if (!model.TryGetProperty("merges", out JsonElement mergesJson) || mergesJson.ValueKind != JsonValueKind.Array)
            throw Bad("model.merges is missing or not an array");
        var merges = new List<(string, string)>();
        foreach (JsonElement m in mergesJson.EnumerateArray())
        {
            (string, string)? pair = m.ValueKind switch
            {
                JsonValueKind.String => SplitMerge(m.GetString()!),
                JsonValueKind.Array when m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String
                    && m[1].ValueKind == JsonValueKind.String => (m[0].GetString()!, m[1].GetString()!),
                _ => null,
            };
            merges.Add(pair ?? throw Bad($"model.merges[{merges.Count}]: expected \"left right\" or [left, right], got {m.GetRawText()}"));
        }
        return new BpeTokenizer(tokens, merges, specials, path, i => $"{path}: model.merges[{i}]",
            msg => new TokenizerFormatException(msg));

        TokenizerFormatException Bad(string what) => new($"{path}: {what}");

        void CheckPreTokenizer(JsonElement pre)
        {
            if (pre.ValueKind != JsonValueKind.Object || OptionalString(pre, "type") != "ByteLevel")
                throw Bad($"pre_tokenizer must be ByteLevel, got {(pre.ValueKind == JsonValueKind.Undefined ? "none" : pre.GetRawText())}");
            if (pre.TryGetProperty("add_prefix_space", out JsonElement aps) && aps.ValueKind == JsonValueKind.True)
                throw Bad("pre_tokenizer.add_prefix_space is true; it is not supported");
            if (pre.TryGetProperty("use_regex", out JsonElement ur) && ur.ValueKind == JsonValueKind.False)
                throw Bad("pre_tokenizer.use_regex is false; only GPT-2's regex is supported");
        }
    }

    /// <summary>
    /// Saves a Hugging Face <c>tokenizer.json</c> (byte-level BPE as GPT-2's: ByteLevel pre-tokenizer, decoder and
    /// post-processor; merges as "left right" strings, which old and new readers both accept; specials as
    /// added_tokens). Written atomically.
    /// </summary>
    public void SaveHuggingFace(string path)
    {
        WriteAtomic(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, JsonOptions);
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (int id = 0; id < _tokens.Length; id++)
            {
                if (!_isSpecial[id]) continue;
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("content", _tokens[id]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            WriteByteLevel("pre_tokenizer", addPrefixSpace: false);
            WriteByteLevel("post_processor", addPrefixSpace: true);
            WriteByteLevel("decoder", addPrefixSpace: true);
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteString("continuing_subword_prefix", "");
            w.WriteString("end_of_word_suffix", "");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteStartObject("vocab");
            for (int id = 0; id < _tokens.Length; id++) w.WriteNumber(_tokens[id], id);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (left, right) in _merges) w.WriteStringValue(left + " " + right);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();

            // Same settings as GPT-2's file; add_prefix_space only matters for the pre-tokenizer.
            void WriteByteLevel(string name, bool addPrefixSpace)
            {
                w.WriteStartObject(name);
                w.WriteString("type", "ByteLevel");
                w.WriteBoolean("add_prefix_space", addPrefixSpace);
                w.WriteBoolean("trim_offsets", true);
                w.WriteBoolean("use_regex", true);
                w.WriteEndObject();
            }
        });
    }

    // Readable files: tokens are written as their characters (Ġ, ĉ, …), not \u escapes.
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static JsonDocument ParseJson(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{path}:{e.LineNumber + 1}: invalid JSON: {e.Message}");
        }
    }

    private static string? OptionalString(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int ReadId(JsonElement value, string where) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0
            ? id : throw new TokenizerFormatException($"{where}: id must be a non-negative integer, got {value.GetRawText()}");

    // "left right" → (left, right); null unless exactly two non-empty parts (byte-level tokens never contain ' ').
    private static (string, string)? SplitMerge(string line)
    {
        int space = line.IndexOf(' ');
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0) return null;
        return (line[..space], line[(space + 1)..]);
    }

    // Entries (token, id) → tokens by id; ids must be exactly 0..N-1, each token one id (repeats with the same id,
    // as added_tokens repeating model.vocab, are fine).
    private static string[] VocabById(List<(string Token, int Id, string Where)> entries, string path)
    {
        var byId = new Dictionary<int, string>();
        var byToken = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id, where) in entries)
        {
            string at = where.Length > 0 ? $"{path}: {where}" : path;
            if (byToken.TryGetValue(token, out int old))
            {
                if (old != id) throw new TokenizerFormatException($"{at}: token {Quote(token)} has two ids, {old} and {id}");
                continue;
            }
            if (byId.TryGetValue(id, out string? other))
                throw new TokenizerFormatException($"{at}: id {id} is used by both {Quote(other)} and {Quote(token)}");
            byToken[token] = id;
            byId[id] = token;
        }
        var tokens = new string[byId.Count];
        for (int id = 0; id < tokens.Length; id++)
            tokens[id] = byId.TryGetValue(id, out string? t) ? t
                : throw new TokenizerFormatException($"{path}: id {id} is missing; ids must be 0..{tokens.Length - 1} without gaps");
        return tokens;
    }

    // Temp file in the same directory, then rename over the target: readers never see a half-written file.
    private static void WriteAtomic(string path, Action<Stream> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, write);
    }
}
