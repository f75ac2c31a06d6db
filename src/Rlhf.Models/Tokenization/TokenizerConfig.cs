using System.Text;
using System.Text.Json;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// What <see cref="BpeTokenizer"/> reads from Hugging Face's <c>tokenizer_config.json</c> (transformers): the BOS, EOS
/// and pad tokens (a string or an AddedToken object <c>{"content": …}</c>), whether BOS/EOS are added to every text,
/// and the chat template (a string, or a list of <c>{"name", "template"}</c> of which "default" is taken; a
/// <c>chat_template.jinja</c> file next to it wins, as in newer transformers). Everything else is ignored.
/// </summary>
internal sealed record TokenizerConfig
{
    /// <summary>The file's path (or the directory's, when it has none).</summary>
    public required string Path { get; init; }

    /// <summary>The file's text; null when there is no file.</summary>
    public string? Text { get; init; }

    /// <summary>bos_token / eos_token / pad_token.</summary>
    public string? BosToken { get; init; }

    /// <inheritdoc cref="BosToken"/>
    public string? EosToken { get; init; }

    /// <inheritdoc cref="BosToken"/>
    public string? PadToken { get; init; }

    /// <summary>add_bos_token / add_eos_token (false when absent).</summary>
    public bool AddBosToken { get; init; }

    /// <inheritdoc cref="AddBosToken"/>
    public bool AddEosToken { get; init; }

    /// <summary>The file the chat template was read from.</summary>
    public string? ChatTemplatePath { get; init; }

    /// <summary>The Jinja source of the chat template, if any.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Reads <c>tokenizer_config.json</c> (and <c>chat_template.jinja</c>) in <paramref name="directory"/>; empty when absent.</summary>
    /// <exception cref="TokenizerFormatException">The file is malformed; the message names it and the field.</exception>
    public static TokenizerConfig Load(string directory)
    {
        string path = System.IO.Path.Combine(directory, "tokenizer_config.json");
        string jinja = System.IO.Path.Combine(directory, "chat_template.jinja");
        string? jinjaText = File.Exists(jinja) ? File.ReadAllText(jinja, Encoding.UTF8) : null;
        if (!File.Exists(path)) return new TokenizerConfig { Path = path, ChatTemplate = jinjaText, ChatTemplatePath = jinjaText is null ? null : jinja };
        string text = File.ReadAllText(path, Encoding.UTF8);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{path}:{e.LineNumber + 1}: invalid JSON: {e.Message}");
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TokenizerFormatException($"{path}: the root is not a JSON object");
            return new TokenizerConfig
            {
                Path = path,
                Text = text,
                BosToken = Token(root, "bos_token"),
                EosToken = Token(root, "eos_token"),
                PadToken = Token(root, "pad_token"),
                AddBosToken = Bool(root, "add_bos_token"),
                AddEosToken = Bool(root, "add_eos_token"),
                ChatTemplate = jinjaText ?? Template(root),
                ChatTemplatePath = jinjaText is not null ? jinja : path,
            };
        }

        string? Token(JsonElement root, string name) =>
            !root.TryGetProperty(name, out JsonElement v) ? null : v.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Object when v.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                _ => throw new TokenizerFormatException($"{path}: {name}: expected a string or {{\"content\": string}}, got {v.GetRawText()}"),
            };

        bool Bool(JsonElement root, string name) =>
            !root.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null ? false
                : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
                : throw new TokenizerFormatException($"{path}: {name}: expected true or false, got {v.GetRawText()}");

        string? Template(JsonElement root)
        {
            if (!root.TryGetProperty("chat_template", out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.String) return v.GetString();
            if (v.ValueKind == JsonValueKind.Array)
                foreach (JsonElement t in v.EnumerateArray())
                    if (t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String
                        && n.GetString() == "default" && t.TryGetProperty("template", out JsonElement s) && s.ValueKind == JsonValueKind.String)
                        return s.GetString();
            throw new TokenizerFormatException($"{path}: chat_template: expected a string or a list with a {{\"name\": \"default\", \"template\": …}} entry");
        }
    }
}
