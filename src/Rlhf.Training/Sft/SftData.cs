using System.Text.Json.Nodes;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Training.Sft;

/// <summary>SFT examples (prompt/response or conversational <c>messages</c>) from JSONL through the chat template, and the held-out split.</summary>
public static class SftData
{
    /// <summary>
    /// Reads <paramref name="path"/> (a malformed line throws <see cref="DataFormatException"/> naming <c>path:line</c>)
    /// and tokenizes each line with <paramref name="template"/>. A line is <c>{"prompt", "response"}</c> (loss on the
    /// response) or TRL's conversational <c>{"messages": [{"role", "content"}, ...]}</c> ending with an assistant
    /// message (multi-turn; a system message may open it under a chat template), whose loss covers every assistant
    /// message and its end-of-turn when <paramref name="assistantOnlyLoss"/> (the default), else every token after the
    /// first. Throws <see cref="TrainingException"/> when the file holds no example.
    /// </summary>
    public static List<TokenizedSft> Load(string path, ChatTemplate template, bool assistantOnlyLoss = true)
    {
        ArgumentNullException.ThrowIfNull(template);
        var examples = new List<TokenizedSft>();
        foreach (var (line, o) in Jsonl.Read<JsonObject>(path))
        {
            string source = $"{path}:{line}";
            if (!o.ContainsKey("messages"))
            {
                examples.Add(Tokenize(Jsonl.Deserialize<SftExample>(o, path, line), template, source));
                continue;
            }
            try
            {
                foreach (var (key, _) in o)
                    if (key != "messages") throw new FormatException($"unknown field '{key}' next to 'messages' (a conversational example has only 'messages')");
                var messages = ChatMessagesJson.Read(o["messages"], "messages", allowSystem: true); // the plain format refuses it naming --chat-template
                examples.Add(Tokenize(messages, template, assistantOnlyLoss, source));
            }
            catch (Exception e) when (e is FormatException or ArgumentException) { throw new DataFormatException($"{source}: {e.Message}", e); }
        }
        if (examples.Count == 0) throw new TrainingException($"{path}: no examples (expected JSON lines with \"prompt\" and \"response\", or \"messages\")");
        return examples;
    }

    /// <summary>
    /// Template ids of one example: prompt part (<c>User: … \nAssistant:</c>) and response part, without the final
    /// end-of-text (the collator appends it as the last target).
    /// </summary>
    public static TokenizedSft Tokenize(SftExample example, ChatTemplate template, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(example);
        ArgumentNullException.ThrowIfNull(template);
        var ids = template.Encode(example.Prompt, example.Response);
        return new TokenizedSft(ids.Ids[..ids.PromptLength], ids.Ids[ids.PromptLength..^1], source) { EndId = ids.Ids[^1] };
    }

    /// <summary>
    /// A conversation ending with an assistant message (<see cref="ChatTemplate.EncodeConversation"/>): the prompt is
    /// everything before the first assistant token, the response the rest up to the last answer's end id, with the
    /// assistant mask over it (<paramref name="assistantOnlyLoss"/>); without it, the prompt is the first token only
    /// and every later token is trained.
    /// </summary>
    /// <exception cref="ArgumentException">The conversation is not one the template can render (see <see cref="ChatTemplate.EncodeConversation"/>).</exception>
    public static TokenizedSft Tokenize(IReadOnlyList<ChatMessage> messages, ChatTemplate template, bool assistantOnlyLoss = true, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        var encoded = template.EncodeConversation(messages);
        int[] ids = encoded.Ids;
        int last = ids.Length - 1;   // the end id closing the last answer
        int first = assistantOnlyLoss ? Array.IndexOf(encoded.AssistantMask, true) : 1;
        if (first <= 0 || first >= last) throw new ArgumentException("the conversation has no assistant text to learn after a prompt");
        bool[] mask = encoded.AssistantMask[first..last];
        return new TokenizedSft(ids[..first], ids[first..last], source)
        {
            ResponseMask = !assistantOnlyLoss || Array.TrueForAll(mask, m => m) ? null : mask,
            EndId = ids[last],
        };
    }

    /// <summary>
    /// Holds out ⌈<paramref name="fraction"/>·n⌉ examples (at most n − 1; none for fraction 0) chosen by a seeded
    /// shuffle, so sorted files do not put one kind of example in the held-out set. Both parts keep file order.
    /// </summary>
    public static (List<TokenizedSft> Train, List<TokenizedSft> Val) SplitHeldOut(IReadOnlyList<TokenizedSft> examples, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!(fraction >= 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "SplitHeldOut: fraction must be in [0, 1)");
        int n = examples.Count, nVal = Math.Min((int)Math.Ceiling(fraction * n), Math.Max(0, n - 1));
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Rng(seed).Shuffle(order.AsSpan());
        var isVal = new bool[n];
        for (int i = 0; i < nVal; i++) isVal[order[i]] = true;
        var train = new List<TokenizedSft>(n - nVal);
        var val = new List<TokenizedSft>(nVal);
        for (int i = 0; i < n; i++) (isVal[i] ? val : train).Add(examples[i]);
        return (train, val);
    }
}
