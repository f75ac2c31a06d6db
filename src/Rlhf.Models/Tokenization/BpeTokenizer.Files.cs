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

    /// <summary>
    /// Saves <c>tokenizer.json</c> into <paramref name="directory"/> (created if needed), and for a tokenizer loaded
    /// from Hugging Face files also its <c>tokenizer_config.json</c> and <c>chat_template.jinja</c> as they were read.
    /// </summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        SaveHuggingFace(Path.Combine(directory, "tokenizer.json"));
        if (_pipeline.TokenizerConfigJson is { } config)
            WriteAtomic(Path.Combine(directory, "tokenizer_config.json"), stream => stream.Write(Encoding.UTF8.GetBytes(config)));
        if (_pipeline.ChatTemplatePath?.EndsWith(".jinja", StringComparison.Ordinal) == true && _pipeline.ChatTemplate is { } jinja)
            WriteAtomic(Path.Combine(directory, "chat_template.jinja"), stream => stream.Write(Encoding.UTF8.GetBytes(jinja)));
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
            msg => new TokenizerFormatException(msg), TokenizerPipeline.Gpt2);
    }

    /// <summary>
    /// Saves GPT-2 files: <c>vocab.json</c> (tokens in id order) and <c>merges.txt</c> (<c>#version: 0.2</c>, then one
    /// merge per line). Special tokens other than <see cref="EndOfTextToken"/> and <see cref="PadToken"/> must be
    /// named again to <see cref="LoadGpt2"/>; <c>tokenizer.json</c> keeps them. Each file is written atomically.
    /// </summary>
    public void SaveGpt2(string vocabPath, string mergesPath)
    {
        if (HasHuggingFacePipeline)
            throw new InvalidOperationException("this tokenizer has a Hugging Face pipeline (normalizer, pre-tokenizer, added tokens) that vocab.json + merges.txt cannot hold; save tokenizer.json instead");
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
    /// Saves a Hugging Face <c>tokenizer.json</c> (byte-level BPE as GPT-2's: ByteLevel pre-tokenizer, decoder and
    /// post-processor; merges as "left right" strings, which old and new readers both accept; specials as
    /// added_tokens). Written atomically. A tokenizer loaded from a Hugging Face file with another pipeline writes
    /// that file back unchanged.
    /// </summary>
    public void SaveHuggingFace(string path)
    {
        if (_pipeline.TokenizerJson is { } original)
        {
            WriteAtomic(path, stream => stream.Write(Encoding.UTF8.GetBytes(original)));
            return;
        }
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
