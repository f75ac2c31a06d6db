namespace Rlhf.Models.Tokenization;

/// <summary>
/// How every verb turns prompts, conversations and responses into ids: either the model's own chat template
/// (<see cref="Format"/>: ChatML, Qwen3 or Llama 3, recognised from <c>tokenizer_config.json</c>'s <c>chat_template</c>
/// or chosen by name, see <see cref="ChatFormat"/>), or, when the tokenizer has no chat template (the GPT-2 models
/// trained here), the project's plain single-turn text format:
/// <code>
/// User: {prompt}\nAssistant: {response}&lt;|endoftext|&gt;
/// </code>
/// <see cref="For"/> makes the choice (<c>--chat-template auto|none|chatml|qwen3|llama3</c>).
/// <para>
/// Plain format: the prompt part is <c>"User: " + prompt + "\nAssistant:"</c>, the response part <c>" " + response</c>
/// followed by the end-of-text id. The two parts are encoded separately and their ids concatenated, so the
/// prompt/response boundary in ids is exact and the prompt ids are the same ones generation starts from.
/// BPE-boundary caveat: encoding parts separately can differ from encoding the joined text when a merge or a
/// pre-token would span the boundary. This template avoids it by construction: the prompt part ends in ':' and the
/// response part starts with a space, and GPT-2's pre-tokenizer always cuts between a punctuation run and a following
/// space, so the ids equal <c>Encode(prompt part + response part)</c> exactly (tested). Changing the template to end
/// the prompt in a space or a letter would break that. The model therefore always begins its answer with a token that
/// starts with a space (e.g. <c>"ĠHello"</c>), which is also how the text reads naturally. A conversation is the
/// transcript <c>User: u1\nAssistant: a1\nUser: u2\nAssistant: a2</c> (no end-of-text between turns; no system
/// messages: those need a chat template).
/// </para>
/// <para>
/// Chat format: the prompt is the conversation so far rendered with the generation prompt (the assistant header),
/// the response the assistant's content and the end-of-turn token (<c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>),
/// which is also where generation stops (<see cref="EndId"/>). The ids are those of the whole conversation rendered
/// with the answer as its last assistant message, cut after that end-of-turn.
/// </para>
/// Special-token strings inside prompts and responses are encoded as plain text (user data cannot inject
/// end-of-text or end-of-turn). In the plain format a prompt that itself contains "\nAssistant:" is not escaped.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>Text before the prompt (plain format).</summary>
    public const string UserPrefix = "User: ";

    /// <summary>Text between the prompt and the response (plain format; the response part adds one space after it).</summary>
    public const string AssistantPrefix = "\nAssistant:";

    /// <summary>The choices <see cref="For"/> accepts, as <c>--chat-template</c> lists them.</summary>
    public static readonly IReadOnlyList<string> Choices = ["auto", "none", "chatml", "qwen3", "llama3"];

    /// <summary>The plain <c>User:/Assistant:</c> format over <paramref name="tokenizer"/>.</summary>
    public ChatTemplate(BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
    }

    /// <summary>The chat format <paramref name="format"/> (over its tokenizer).</summary>
    public ChatTemplate(ChatFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        (Tokenizer, Format) = (format.Tokenizer, format);
    }

    /// <summary>The tokenizer the template encodes with.</summary>
    public BpeTokenizer Tokenizer { get; }

    /// <summary>The model's chat format, or null for the plain <c>User:/Assistant:</c> format.</summary>
    public ChatFormat? Format { get; }

    /// <summary>"none" for the plain format, else the chat format's name (chatml, qwen3, llama3).</summary>
    public string Name => Format?.Name ?? "none";

    /// <summary>
    /// The id that ends every response and stops generation: the end-of-turn token of a chat format, else end-of-text
    /// (the generator also stops at the model's own <c>eos_token_id</c> list, <see cref="ICausalLm.EosTokenIds"/>).
    /// </summary>
    public int EndId => Format?.EndOfTurnId ?? Tokenizer.EndOfTextId;

    /// <summary>
    /// The template for <paramref name="tokenizer"/> and a <c>--chat-template</c> choice: <c>auto</c> (or null) takes
    /// the tokenizer's <c>chat_template</c> when it has one (an unknown one is an error) and the plain format when it
    /// has none; <c>none</c> is the plain format; <c>chatml</c>, <c>qwen3</c>, <c>llama3</c> name a chat format.
    /// </summary>
    /// <exception cref="TokenizerFormatException">An unknown choice, an unknown chat_template (the message names the file, the field and the option), or a tokenizer without the format's special tokens.</exception>
    public static ChatTemplate For(BpeTokenizer tokenizer, string? choice = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        string name = (choice ?? "auto").ToLowerInvariant();
        if (!Choices.Contains(name))
            throw new TokenizerFormatException($"--chat-template: unknown chat template \"{choice}\"; choose one of {string.Join(", ", Choices)}");
        if (name == "none" || (name == "auto" && tokenizer.ChatTemplateSource is null)) return new ChatTemplate(tokenizer);
        try { return new ChatTemplate(ChatFormat.For(tokenizer, name == "auto" ? null : name)); }
        catch (InvalidOperationException e) { throw new TokenizerFormatException(e.Message); }
    }

    /// <summary>The plain format's prompt part: <c>"User: " + prompt + "\nAssistant:"</c>.</summary>
    public static string FormatPrompt(string prompt) => UserPrefix + prompt + AssistantPrefix;

    /// <summary>The plain format's response part as text (without end-of-text): <c>" " + response</c>.</summary>
    public static string FormatResponse(string response) => " " + response;

    /// <summary>Ids generation starts from for a single-turn <paramref name="prompt"/>.</summary>
    public int[] EncodePrompt(string prompt) => EncodePrompt(prompt, null);

    /// <summary>
    /// Ids generation starts from: <paramref name="messages"/> (the conversation, ending with a user message) where the
    /// data gave one, else <paramref name="prompt"/> as one user message. The plain format always reads
    /// <paramref name="prompt"/>, which for a conversation is its flattened transcript (as the data readers make it).
    /// </summary>
    public int[] EncodePrompt(string prompt, IReadOnlyList<ChatMessage>? messages) =>
        Format is { } f ? f.EncodePrompt(messages ?? [new ChatMessage("user", prompt)]) : Tokenizer.Encode(FormatPrompt(prompt));

    /// <summary>Ids of prompt + response + end id, and where the response starts (single-turn prompt).</summary>
    public PromptResponseIds Encode(string prompt, string response) => Encode(prompt, null, response);

    /// <summary>
    /// Ids of the prompt (see <see cref="EncodePrompt(string, IReadOnlyList{ChatMessage})"/>), the response and the end
    /// id (<see cref="EndId"/>), and where the response starts.
    /// </summary>
    public PromptResponseIds Encode(string prompt, IReadOnlyList<ChatMessage>? messages, string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (Format is { } f)
        {
            IReadOnlyList<ChatMessage> conversation = messages ?? [new ChatMessage("user", prompt)];
            int[] head = f.EncodePrompt(conversation);
            int[] full = f.Encode([.. conversation, new ChatMessage("assistant", response)]).Ids;
            int end = Array.LastIndexOf(full, f.EndOfTurnId);
            if (end < head.Length || !full.AsSpan(0, head.Length).SequenceEqual(head))
                throw new InvalidOperationException($"the {f.Name} rendering of an answer does not continue the rendering of its prompt");
            return new PromptResponseIds(full[..(end + 1)], head.Length);
        }
        var ids = new List<int>(prompt.Length / 2 + response.Length / 2 + 8);
        Tokenizer.EncodeTo(FormatPrompt(prompt), ids);
        int promptLength = ids.Count;
        Tokenizer.EncodeTo(FormatResponse(response), ids);
        ids.Add(Tokenizer.EndOfTextId);
        return new PromptResponseIds(ids.ToArray(), promptLength);
    }

    /// <summary>
    /// A whole conversation (SFT <c>messages</c>) as ids with the mask of the tokens the loss covers: every assistant
    /// message's tokens and the end id that closes it (end-of-turn; in the plain format only the last answer has an
    /// end, the end-of-text). The conversation must end with an assistant message; what the template renders after
    /// that message's end (ChatML's <c>\n</c>) is left out.
    /// </summary>
    /// <exception cref="ArgumentException">No assistant message last, an unknown role, or (plain format) a system message or turns that do not alternate user/assistant from a user message.</exception>
    public ChatEncoding EncodeConversation(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0 || messages[^1]?.Role != "assistant")
            throw new ArgumentException("the conversation must end with an assistant message (the answer to learn)", nameof(messages));
        if (Format is { } f)
        {
            var all = f.Encode(messages);
            int end = Array.LastIndexOf(all.Ids, f.EndOfTurnId);
            return new ChatEncoding(all.Ids[..(end + 1)], all.AssistantMask[..(end + 1)]);
        }
        var ids = new List<int>();
        var mask = new List<bool>();
        for (int i = 0; i < messages.Count; i++)
        {
            ChatMessage m = messages[i];
            if (m.Role == "system")
                throw new ArgumentException($"messages[{i}] is a system message, which the plain User:/Assistant: format cannot show; choose a chat template (--chat-template chatml|qwen3|llama3)", nameof(messages));
            string expected = i % 2 == 0 ? "user" : "assistant";
            if (m.Role != expected)
                throw new ArgumentException($"messages[{i}].role is \"{m.Role}\"; the plain User:/Assistant: format needs user and assistant messages alternating from a user message", nameof(messages));
            int before = ids.Count;
            Tokenizer.EncodeTo(m.Role == "user" ? (i == 0 ? "" : "\n") + FormatPrompt(m.Content) : FormatResponse(m.Content), ids);
            for (int t = before; t < ids.Count; t++) mask.Add(m.Role == "assistant");
        }
        ids.Add(Tokenizer.EndOfTextId);
        mask.Add(true);
        return new ChatEncoding(ids.ToArray(), mask.ToArray());
    }

    /// <summary>
    /// The response text of generated ids (those after the prompt): cut at the first end id, decoded, special tokens
    /// dropped; the plain format's one leading space is removed.
    /// </summary>
    public string DecodeResponse(ReadOnlySpan<int> generated)
    {
        if (Format is { } f) return f.DecodeResponse(generated);
        int end = generated.IndexOf(Tokenizer.EndOfTextId);
        string text = Tokenizer.Decode(end >= 0 ? generated[..end] : generated, skipSpecial: true);
        return text.StartsWith(' ') ? text[1..] : text;
    }
}
