using System.Text;
using System.Text.RegularExpressions;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// Renders <c>messages</c> lists (system / user / assistant, multi-turn) the way a model's <c>chat_template</c> does,
/// encodes them with a mask of the assistant tokens (for SFT loss masking) and knows the end-of-turn token (for
/// stopping generation).
/// <para>
/// Named built-in templates recognised from the file, not a Jinja interpreter: the real templates use much more
/// than a small subset (Qwen3's uses <c>namespace()</c>, reversed slices <c>messages[::-1]</c>, string methods,
/// <c>tojson</c> and tool-call branches; the transformers.js Jinja engine itself cannot parse it), while the token
/// layouts they produce for plain conversations are few and stable. <see cref="Recognise"/> maps a template to
/// <see cref="ChatFormatKind"/> by its markers (<c>&lt;|im_start|&gt;</c>, <c>&lt;think&gt;</c>,
/// <c>&lt;|start_header_id|&gt;</c>); any other template is refused with a message that names the formats to choose
/// by name (<c>rlhf … --chat-template chatml|qwen3|llama3</c>). ChatML's default system message (Qwen2.5's "You are
/// Qwen…", SmolLM2's "You are a helpful AI assistant named SmolLM…") is read from the template's literal text.
/// Llama 3 is checked against the Llama 3 template rendered by transformers.js (tests); not rendered: tools, and
/// Llama 3.1+'s "Cutting Knowledge Date" system header.
/// </para>
/// <para>
/// Encoding: template text is encoded with special tokens recognised, message text with special-token strings as
/// plain text (a user cannot inject <c>&lt;|im_end|&gt;</c>; Hugging Face's apply_chat_template would turn them into
/// specials), and the parts are concatenated. This equals encoding the rendered text in one piece except where a
/// message starts with a line break (ChatML: the <c>\n</c> after the role and the message's leading <c>\n</c> would
/// be one pre-token); it is what makes the assistant mask exact.
/// </para>
/// </summary>
public sealed partial class ChatFormat
{
    /// <summary>The names <see cref="For"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["chatml", "qwen3", "llama3"];

    private const string OptionHint = "--chat-template chatml|qwen3|llama3, or none for the plain User:/Assistant: text format";

    private readonly string? _bos;

    private ChatFormat(BpeTokenizer tokenizer, ChatFormatKind kind, string? defaultSystem)
    {
        Tokenizer = tokenizer;
        Kind = kind;
        DefaultSystem = defaultSystem;
        string endOfTurn = kind == ChatFormatKind.Llama3 ? "<|eot_id|>" : "<|im_end|>";
        EndOfTurnId = tokenizer.TryGetId(endOfTurn, out int id) && tokenizer.IsAdded(id) ? id
            : throw new InvalidOperationException($"the {NameOf(kind)} chat format needs the token {endOfTurn}, which this tokenizer does not have");
        foreach (string t in kind == ChatFormatKind.Llama3 ? ["<|start_header_id|>", "<|end_header_id|>"] : new[] { "<|im_start|>" })
            if (!tokenizer.TryGetId(t, out int tid) || !tokenizer.IsAdded(tid))
                throw new InvalidOperationException($"the {NameOf(kind)} chat format needs the token {t}, which this tokenizer does not have");
        if (kind == ChatFormatKind.Llama3) _bos = tokenizer.BosToken ?? "<|begin_of_text|>";
    }

    /// <summary>The tokenizer the format encodes with.</summary>
    public BpeTokenizer Tokenizer { get; }

    /// <summary>Which layout.</summary>
    public ChatFormatKind Kind { get; }

    /// <summary>The layout's name as <see cref="For"/> takes it: chatml, qwen3 or llama3.</summary>
    public string Name => NameOf(Kind);

    /// <summary>The system message put first when a conversation has none (ChatML templates that have one).</summary>
    public string? DefaultSystem { get; }

    /// <summary>The token that ends every turn (<c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>): generation stops on it.</summary>
    public int EndOfTurnId { get; }

    /// <summary>
    /// The format for <paramref name="tokenizer"/>: by <paramref name="name"/> (chatml, qwen3, llama3) when given,
    /// else recognised from the tokenizer's chat_template.
    /// </summary>
    /// <exception cref="InvalidOperationException">No name and no template, the template is not recognised, or the tokenizer lacks the format's tokens.</exception>
    public static ChatFormat For(BpeTokenizer tokenizer, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        string? template = tokenizer.ChatTemplateSource;
        ChatFormatKind kind = name is null
            ? Recognise(template, tokenizer.ChatTemplatePath ?? "the tokenizer")
            : name.ToLowerInvariant() switch
            {
                "chatml" => ChatFormatKind.ChatMl,
                "qwen3" => ChatFormatKind.Qwen3,
                "llama3" => ChatFormatKind.Llama3,
                _ => throw new InvalidOperationException($"unknown chat format \"{name}\"; choose one of {string.Join(", ", Names)}"),
            };
        string? system = kind != ChatFormatKind.Llama3 && template is not null ? DefaultSystemOf(template) : null;
        return new ChatFormat(tokenizer, kind, system);
    }

    /// <summary>Which built-in layout <paramref name="template"/> (Jinja source read from <paramref name="source"/>) renders.</summary>
    /// <exception cref="InvalidOperationException">There is no template, or it is none of the known layouts; the message names the choices.</exception>
    public static ChatFormatKind Recognise(string? template, string source)
    {
        if (template is null)
            throw new InvalidOperationException($"{source}: no chat_template; choose a chat format by name ({string.Join(", ", Names)}; rlhf: {OptionHint})");
        if (template.Contains("<|im_start|>", StringComparison.Ordinal))
            return template.Contains("<think>", StringComparison.Ordinal) ? ChatFormatKind.Qwen3 : ChatFormatKind.ChatMl;
        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal)) return ChatFormatKind.Llama3;
        throw new InvalidOperationException(
            $"{source}: chat_template is not a layout this reader knows (ChatML with <|im_start|>, Llama 3 with <|start_header_id|>); " +
            $"choose one by name ({string.Join(", ", Names)}; rlhf: {OptionHint}) if the model was trained with it");
    }

    /// <summary>The conversation as text, as the model's template renders it.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false) =>
        string.Concat(Segments(messages, addGenerationPrompt).Select(s => s.Text));

    /// <summary>The conversation's ids and assistant mask; with <paramref name="addGenerationPrompt"/> it ends where the assistant's answer begins.</summary>
    /// <exception cref="ArgumentException">A message has a role other than system, user or assistant.</exception>
    public ChatEncoding Encode(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        var ids = new List<int>();
        var mask = new List<bool>();
        foreach (var (text, template, assistant) in Segments(messages, addGenerationPrompt))
        {
            int before = ids.Count;
            Tokenizer.EncodeTo(text, ids, allowSpecial: template);
            for (int i = before; i < ids.Count; i++) mask.Add(assistant);
        }
        return new ChatEncoding(ids.ToArray(), mask.ToArray());
    }

    /// <summary>The ids generation starts from: the conversation so far and the assistant's header.</summary>
    public int[] EncodePrompt(IReadOnlyList<ChatMessage> messages) => Encode(messages, addGenerationPrompt: true).Ids;

    /// <summary>The assistant's text from generated ids: cut at the first end-of-turn (or end-of-text), specials dropped.</summary>
    public string DecodeResponse(ReadOnlySpan<int> generated)
    {
        int end = generated.Length;
        for (int i = 0; i < generated.Length; i++)
            if (generated[i] == EndOfTurnId || generated[i] == Tokenizer.EndOfTextId) { end = i; break; }
        return Tokenizer.Decode(generated[..end], skipSpecial: true);
    }

    // (text, is template text with specials, is assistant) in order
    private List<(string Text, bool Template, bool Assistant)> Segments(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        for (int i = 0; i < messages.Count; i++)
            if (messages[i]?.Role is not ("system" or "user" or "assistant"))
                throw new ArgumentException($"messages[{i}].role is \"{messages[i]?.Role}\"; expected system, user or assistant", nameof(messages));
        var parts = new List<(string, bool, bool)>();
        if (Kind == ChatFormatKind.Llama3) Llama3(messages, addGenerationPrompt, parts);
        else ChatMl(messages, addGenerationPrompt, parts);
        return parts;
    }

    private void Llama3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, List<(string, bool, bool)> parts)
    {
        parts.Add((_bos!, true, false));
        foreach (ChatMessage m in messages)
        {
            bool assistant = m.Role == "assistant";
            parts.Add(($"<|start_header_id|>{m.Role}<|end_header_id|>\n\n", true, false));
            parts.Add((m.Content.Trim(), false, assistant));
            parts.Add(("<|eot_id|>", true, assistant));
        }
        if (addGenerationPrompt) parts.Add(("<|start_header_id|>assistant<|end_header_id|>\n\n", true, false));
    }

    private void ChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, List<(string, bool, bool)> parts)
    {
        if (DefaultSystem is not null && (messages.Count == 0 || messages[0].Role != "system"))
            Turn("system", DefaultSystem, assistant: false);
        int lastUser = -1;
        for (int i = 0; i < messages.Count; i++) if (messages[i].Role == "user") lastUser = i;
        for (int i = 0; i < messages.Count; i++)
        {
            ChatMessage m = messages[i];
            if (m.Role != "assistant" || Kind != ChatFormatKind.Qwen3) { Turn(m.Role, m.Content, m.Role == "assistant"); continue; }
            // Qwen3: reasoning split off at </think>; shown (possibly empty) only after the last user message
            string content = m.Content, reasoning = "";
            int close = content.LastIndexOf("</think>", StringComparison.Ordinal);
            if (close >= 0)
            {
                string before = content[..content.IndexOf("</think>", StringComparison.Ordinal)].TrimEnd('\n');
                int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
                reasoning = (open >= 0 ? before[(open + "<think>".Length)..] : before).TrimStart('\n');
                content = content[(close + "</think>".Length)..].TrimStart('\n');
            }
            parts.Add(("<|im_start|>assistant\n", true, false));
            if (i > lastUser && (i == messages.Count - 1 || reasoning.Length > 0))
            {
                parts.Add(("<think>\n" + reasoning.Trim('\n') + "\n</think>\n\n", true, false));
                content = content.TrimStart('\n');
            }
            parts.Add((content, false, true));
            parts.Add(("<|im_end|>", true, true));
            parts.Add(("\n", true, false));
        }
        if (addGenerationPrompt)
        {
            parts.Add(("<|im_start|>assistant\n", true, false));
            if (Kind == ChatFormatKind.Qwen3) parts.Add(("<think>\n\n</think>\n\n", true, false));
        }

        void Turn(string role, string content, bool assistant)
        {
            parts.Add(($"<|im_start|>{role}\n", true, false));
            parts.Add((content, false, assistant));
            parts.Add(("<|im_end|>", true, assistant));
            parts.Add(("\n", true, false));
        }
    }

    // ChatML templates with a built-in system message write it as a literal: '<|im_start|>system\nYou are …<|im_end|>\n'
    private static string? DefaultSystemOf(string template)
    {
        Match m = DefaultSystemPattern().Match(template);
        if (!m.Success) return null;
        var sb = new StringBuilder();
        string s = m.Groups[1].Value;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length) { sb.Append(s[i]); continue; }
            char c = s[++i];
            sb.Append(c switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => c });
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"<\|im_start\|>system\\n([^'""<]+)<\|im_end\|>")]
    private static partial Regex DefaultSystemPattern();

    private static string NameOf(ChatFormatKind kind) => kind switch
    {
        ChatFormatKind.ChatMl => "chatml",
        ChatFormatKind.Qwen3 => "qwen3",
        _ => "llama3",
    };
}
