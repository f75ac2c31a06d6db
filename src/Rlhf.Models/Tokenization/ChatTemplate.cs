namespace Rlhf.Models.Tokenization;

/// <summary>
/// The single-turn prompt/response format used for SFT, reward modelling and RL:
/// <code>
/// User: {prompt}\nAssistant: {response}&lt;|endoftext|&gt;
/// </code>
/// The prompt part is <c>"User: " + prompt + "\nAssistant:"</c>, the response part <c>" " + response</c> followed by
/// the end-of-text id. The two parts are encoded separately and their ids concatenated, so the prompt/response
/// boundary in ids is exact and the prompt ids are the same ones generation starts from.
/// <para>
/// BPE-boundary caveat: encoding parts separately can differ from encoding the joined text when a merge or a
/// pre-token would span the boundary. This template avoids it by construction: the prompt part ends in ':' and the
/// response part starts with a space, and GPT-2's pre-tokenizer always cuts between a punctuation run and a following
/// space, so the ids equal <c>Encode(prompt part + response part)</c> exactly (tested). Changing the template to end
/// the prompt in a space or a letter would break that. The model therefore always begins its answer with a token that
/// starts with a space (e.g. <c>"ĠHello"</c>), which is also how the text reads naturally.
/// </para>
/// Special-token strings inside prompts and responses are encoded as plain text (user data cannot inject
/// end-of-text). Not supported: multi-turn conversations, system prompts; a prompt that itself contains
/// "\nAssistant:" is not escaped.
/// </summary>
/// <param name="tokenizer">The tokenizer to encode with.</param>
public sealed class ChatTemplate(BpeTokenizer tokenizer)
{
    /// <summary>Text before the prompt.</summary>
    public const string UserPrefix = "User: ";

    /// <summary>Text between the prompt and the response (the response part adds one space after it).</summary>
    public const string AssistantPrefix = "\nAssistant:";

    /// <summary>The tokenizer the template encodes with.</summary>
    public BpeTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>The prompt part: <c>"User: " + prompt + "\nAssistant:"</c>.</summary>
    public static string FormatPrompt(string prompt) => UserPrefix + prompt + AssistantPrefix;

    /// <summary>The response part as text (without end-of-text): <c>" " + response</c>.</summary>
    public static string FormatResponse(string response) => " " + response;

    /// <summary>Ids of the prompt part: what generation starts from.</summary>
    public int[] EncodePrompt(string prompt) => Tokenizer.Encode(FormatPrompt(prompt));

    /// <summary>Ids of prompt part + response part + end-of-text, and where the response starts.</summary>
    public PromptResponseIds Encode(string prompt, string response)
    {
        var ids = new List<int>(prompt.Length / 2 + response.Length / 2 + 8);
        Tokenizer.EncodeTo(FormatPrompt(prompt), ids);
        int promptLength = ids.Count;
        Tokenizer.EncodeTo(FormatResponse(response), ids);
        ids.Add(Tokenizer.EndOfTextId);
        return new PromptResponseIds(ids.ToArray(), promptLength);
    }

    /// <summary>
    /// The response text of generated ids (those after the prompt): cut at the first end-of-text, decoded, with the
    /// template's one leading space removed. Other special tokens are dropped.
    /// </summary>
    public string DecodeResponse(ReadOnlySpan<int> generated)
    {
        int end = generated.IndexOf(Tokenizer.EndOfTextId);
        string text = Tokenizer.Decode(end >= 0 ? generated[..end] : generated, skipSpecial: true);
        return text.StartsWith(' ') ? text[1..] : text;
    }
}
