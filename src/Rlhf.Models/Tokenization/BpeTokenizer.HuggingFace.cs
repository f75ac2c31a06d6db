using System.Text;
using System.Text.Json;

namespace Rlhf.Models.Tokenization;

// Loading Hugging Face's tokenizer.json (+ tokenizer_config.json): byte-level BPE and the pipeline around it.
public sealed partial class BpeTokenizer
{
    /// <summary>
    /// Loads a Hugging Face <c>tokenizer.json</c> whose model is byte-level BPE (GPT-2, Qwen2/Qwen3, Llama 3, SmolLM2),
    /// with <c>tokenizer_config.json</c> from the same directory when present. Read: <c>model</c> (type "BPE",
    /// vocab, merges as "left right" or [left, right], <c>ignore_merges</c>), <c>added_tokens</c> (special or not),
    /// <c>normalizer</c> (NFC, NFD, NFKC, NFKD, Sequence), <c>pre_tokenizer</c> (ByteLevel, Split, Sequence),
    /// <c>post_processor</c> (ByteLevel, TemplateProcessing for BOS, Sequence), <c>decoder</c> (ByteLevel); from the
    /// config bos/eos/pad tokens, add_bos_token/add_eos_token and chat_template (or a <c>chat_template.jinja</c>
    /// file). Anything else is refused with one message naming the file and the field, rather than silently
    /// tokenized differently.
    /// </summary>
    /// <exception cref="TokenizerFormatException">The file is malformed or unsupported; the message names it and the JSON path.</exception>
    public static BpeTokenizer LoadHuggingFace(string path)
    {
        string text = ReadText(path);
        using JsonDocument doc = ParseJson(path);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the root is not a JSON object");
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
            throw Bad("model is missing");
        string? type = OptionalString(model, "type");
        if (type != "BPE") throw Bad($"model.type is {Quote(type ?? "missing")}; only \"BPE\" is supported");
        if (model.TryGetProperty("dropout", out JsonElement dropout) && dropout.ValueKind != JsonValueKind.Null)
            throw Bad("model.dropout is set; BPE dropout is not supported");
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(OptionalString(model, affix))) throw Bad($"model.{affix} is set; it is not supported");
        if (model.TryGetProperty("byte_fallback", out JsonElement fallback) && fallback.ValueKind == JsonValueKind.True)
            throw Bad("model.byte_fallback is true; <0xNN> byte fallback is not byte-level BPE and is not supported");
        bool ignoreMerges = model.TryGetProperty("ignore_merges", out JsonElement im) && im.ValueKind == JsonValueKind.True;

        var normalizations = new List<NormalizationForm>();
        if (root.TryGetProperty("normalizer", out JsonElement norm)) ReadNormalizer(norm, "normalizer");
        var stages = new List<PreTokenizer>();
        ReadPreTokenizer(root.TryGetProperty("pre_tokenizer", out JsonElement pre) ? pre : default, "pre_tokenizer");
        if (!stages.Any(s => s is ByteLevelPreTokenizer))
            throw Bad("pre_tokenizer has no ByteLevel stage; only byte-level BPE is supported");
        // GPT-2's own pipeline keeps the fast path (and the ids this project's tokenizers always had)
        bool gpt2 = stages is [ByteLevelPreTokenizer { AddPrefixSpace: false, UseRegex: true }];
        var prefix = new List<string>();
        var suffix = new List<string>();
        bool templated = false;
        if (root.TryGetProperty("post_processor", out JsonElement post)) ReadPostProcessor(post, "post_processor");
        if (root.TryGetProperty("decoder", out JsonElement decoder) && decoder.ValueKind != JsonValueKind.Null
            && OptionalString(decoder, "type") is var decoderType && decoderType != "ByteLevel")
            throw Bad($"decoder.type: {Quote(decoderType ?? "missing")} is not supported (only ByteLevel)");

        if (!model.TryGetProperty("vocab", out JsonElement vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw Bad("model.vocab is missing or not an object");
        var vocab = new List<(string Token, int Id, string Where)>();
        foreach (JsonProperty p in vocabJson.EnumerateObject())
            vocab.Add((p.Name, ReadId(p.Value, $"{path}: model.vocab[{Quote(p.Name)}]"), "model.vocab"));

        var specials = new List<string>();
        var plainAdded = new List<string>();
        if (root.TryGetProperty("added_tokens", out JsonElement added) && added.ValueKind != JsonValueKind.Null)
        {
            if (added.ValueKind != JsonValueKind.Array) throw Bad("added_tokens is not an array");
            int i = 0;
            foreach (JsonElement t in added.EnumerateArray())
            {
                string where = $"added_tokens[{i++}]";
                if (t.ValueKind != JsonValueKind.Object) throw Bad($"{where} is not an object");
                string content = OptionalString(t, "content") ?? throw Bad($"{where}.content is missing");
                if (content.Length == 0) throw Bad($"{where}.content is empty");
                int id = t.TryGetProperty("id", out JsonElement idJson) ? ReadId(idJson, $"{path}: {where}.id") : throw Bad($"{where}.id is missing");
                foreach (string flag in new[] { "lstrip", "rstrip", "single_word" })
                    if (t.TryGetProperty(flag, out JsonElement f) && f.ValueKind == JsonValueKind.True)
                        throw Bad($"{where}.{flag} is true ({Quote(content)}); added tokens that absorb whitespace or need word boundaries are not supported");
                vocab.Add((content, id, where));   // usually also in model.vocab with the same id; VocabById checks
                (t.TryGetProperty("special", out JsonElement sp) && sp.ValueKind == JsonValueKind.True ? specials : plainAdded).Add(content);
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

        TokenizerConfig config = TokenizerConfig.Load(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!templated)
        {
            if (config.AddBosToken && config.BosToken is { } bos) prefix.Add(bos);
            if (config.AddEosToken && config.EosToken is { } eos) suffix.Add(eos);
        }
        // the document separator: GPT-2/Qwen/SmolLM2 <|endoftext|>, Llama 3 <|end_of_text|>, else the config's eos_token
        string endOfText = new[] { EndOfTextToken, "<|end_of_text|>", config.EosToken, "</s>" }
            .FirstOrDefault(t => t is not null && specials.Contains(t)) ?? config.EosToken ?? EndOfTextToken;
        bool plain = gpt2 && normalizations.Count == 0 && plainAdded.Count == 0 && !ignoreMerges && prefix.Count == 0
            && suffix.Count == 0 && endOfText == EndOfTextToken && config.Text is null;
        var pipeline = plain ? TokenizerPipeline.Gpt2 : new TokenizerPipeline
        {
            Normalizations = normalizations,
            PreTokenizers = gpt2 ? null : stages,
            IgnoreMerges = ignoreMerges,
            AddedTokens = plainAdded,
            EndOfText = endOfText,
            Prefix = prefix,
            Suffix = suffix,
            BosToken = config.BosToken,
            EosToken = config.EosToken,
            PadToken = config.PadToken,
            ChatTemplate = config.ChatTemplate,
            ChatTemplatePath = config.ChatTemplatePath,
            TokenizerJson = text,
            TokenizerConfigJson = config.Text,
        };
        string configName = config.Text is null ? "" : $" (with {config.Path})";
        return new BpeTokenizer(tokens, merges, specials, path + configName, i => $"{path}: model.merges[{i}]",
            msg => new TokenizerFormatException(msg), pipeline);

        TokenizerFormatException Bad(string what) => new($"{path}: {what}");

        string TypeOf(JsonElement e, string where) =>
            e.ValueKind == JsonValueKind.Object && OptionalString(e, "type") is { } t ? t : throw Bad($"{where}.type is missing");

        void ReadNormalizer(JsonElement e, string where)
        {
            if (e.ValueKind == JsonValueKind.Null) return;
            switch (TypeOf(e, where))
            {
                case "NFC": normalizations.Add(NormalizationForm.FormC); break;
                case "NFD": normalizations.Add(NormalizationForm.FormD); break;
                case "NFKC": normalizations.Add(NormalizationForm.FormKC); break;
                case "NFKD": normalizations.Add(NormalizationForm.FormKD); break;
                case "Sequence":
                    int i = 0;
                    foreach (JsonElement n in Array(e, "normalizers", where)) ReadNormalizer(n, $"{where}.normalizers[{i++}]");
                    break;
                case var t: throw Bad($"{where}.type: {Quote(t)} is not supported (supported: NFC, NFD, NFKC, NFKD, Sequence)");
            }
        }

        void ReadPreTokenizer(JsonElement e, string where)
        {
            if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return;
            switch (TypeOf(e, where))
            {
                case "ByteLevel":
                    stages.Add(new ByteLevelPreTokenizer(Flag(e, "add_prefix_space", false), Flag(e, "use_regex", true)));
                    break;
                case "Split":
                    stages.Add(ReadSplit(e, where));
                    break;
                case "Sequence":
                    int i = 0;
                    foreach (JsonElement p in Array(e, "pretokenizers", where)) ReadPreTokenizer(p, $"{where}.pretokenizers[{i++}]");
                    break;
                case var t: throw Bad($"{where}.type: {Quote(t)} is not supported (supported: ByteLevel, Split, Sequence)");
            }
        }

        RegexSplitPreTokenizer ReadSplit(JsonElement e, string where)
        {
            if (!e.TryGetProperty("pattern", out JsonElement pattern) || pattern.ValueKind != JsonValueKind.Object)
                throw Bad($"{where}.pattern is missing");
            string regex = OptionalString(pattern, "Regex")
                ?? (OptionalString(pattern, "String") is { } literal ? System.Text.RegularExpressions.Regex.Escape(literal)
                    : throw Bad($"{where}.pattern: expected {{\"Regex\": …}} or {{\"String\": …}}"));
            string behaviorName = OptionalString(e, "behavior") ?? throw Bad($"{where}.behavior is missing");
            if (!Enum.TryParse(behaviorName, ignoreCase: false, out SplitBehavior behavior) || !Enum.IsDefined(behavior))
                throw Bad($"{where}.behavior: {Quote(behaviorName)} is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
            try
            {
                return new RegexSplitPreTokenizer(RegexSplitPreTokenizer.Compile(regex), behavior, Flag(e, "invert", false));
            }
            catch (ArgumentException x)
            {
                throw Bad($"{where}.pattern.Regex: .NET cannot compile {Quote(regex)}: {x.Message}");
            }
        }

        void ReadPostProcessor(JsonElement e, string where)
        {
            if (e.ValueKind == JsonValueKind.Null) return;
            switch (TypeOf(e, where))
            {
                case "ByteLevel": break;                         // offsets only; the ids are unchanged
                case "TemplateProcessing":
                    templated = true;
                    int i = 0, sequences = 0;
                    foreach (JsonElement piece in Array(e, "single", where))
                    {
                        string at = $"{where}.single[{i++}]";
                        if (piece.TryGetProperty("SpecialToken", out JsonElement st))
                            (sequences == 0 ? prefix : suffix).Add(OptionalString(st, "id") ?? throw Bad($"{at}.SpecialToken.id is missing"));
                        else if (piece.TryGetProperty("Sequence", out _)) sequences++;
                        else throw Bad($"{at}: expected SpecialToken or Sequence");
                    }
                    if (sequences != 1) throw Bad($"{where}.single: expected exactly one Sequence, got {sequences}");
                    break;
                case "Sequence":
                    int j = 0;
                    foreach (JsonElement p in Array(e, "processors", where)) ReadPostProcessor(p, $"{where}.processors[{j++}]");
                    break;
                case var t: throw Bad($"{where}.type: {Quote(t)} is not supported (supported: ByteLevel, TemplateProcessing, Sequence)");
            }
        }

        JsonElement.ArrayEnumerator Array(JsonElement e, string name, string where) =>
            e.TryGetProperty(name, out JsonElement a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray() : throw Bad($"{where}.{name} is missing or not an array");

        static bool Flag(JsonElement e, string name, bool fallback) =>
            e.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
    }

    private static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return File.ReadAllText(path, Encoding.UTF8);
    }
}
