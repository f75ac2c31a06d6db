using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Models.Tokenization;

namespace Rlhf.Data.Preferences;

/// <summary>
/// Turns one JSON object into a preference record, or a message (without <c>path:line:</c>) saying what was expected.
/// The format rules are documented on <see cref="PreferenceData"/>.
/// </summary>
internal static class PreferenceRecordParser
{
    private static readonly string[] PairwiseKeys = ["prompt", "messages", "chosen", "rejected"];
    // allBad / unsafe: a labeler's flags (they change the pairs, RankedCompletions.Pairs); labeler / sawCritiques:
    // where a label app's record came from (labeler kept on the record, sawCritiques ignored here); weight: the
    // labeler's quality weight, multiplying the record's pair weights
    private static readonly string[] RankedKeys = ["prompt", "messages", "completions", "ranking", "ties", "allBad", "unsafe", "labeler", "sawCritiques", "weight"];

    /// <summary>The record's format from its keys, or null when it has neither chosen/rejected nor completions/ranking.</summary>
    public static PreferenceFormat? Detect(JsonObject o) =>
        o.ContainsKey("chosen") || o.ContainsKey("rejected") ? PreferenceFormat.Pairwise
        : o.ContainsKey("completions") || o.ContainsKey("ranking") ? PreferenceFormat.Ranked
        : null;

    /// <summary>Parses a record of <paramref name="format"/>; throws <see cref="FormatException"/> with the problem.</summary>
    public static RankedCompletions Parse(JsonObject o, PreferenceFormat format)
    {
        var allowed = format == PreferenceFormat.Pairwise ? PairwiseKeys : RankedKeys;
        foreach (var (key, _) in o)
            if (Array.IndexOf(allowed, key) < 0)
                throw new FormatException($"unknown field '{key}' (a {Name(format)} record has {string.Join(", ", allowed.Select(k => $"'{k}'"))})");

        var promptTurns = PromptTurns(o);
        string[] names = format == PreferenceFormat.Pairwise ? ["chosen", "rejected"] : Names(Required(o, "completions", "an array of completions"));
        var responses = new string[names.Length];
        List<ChatMessage>? conversation = null;
        string? firstName = null;
        for (int i = 0; i < names.Length; i++)
        {
            var node = format == PreferenceFormat.Pairwise ? Required(o, names[i], "a string or a list of messages") : o["completions"]![i];
            var (prefix, response) = Response(node, names[i]);
            var turns = new List<ChatMessage>(promptTurns ?? []);
            turns.AddRange(prefix);
            if (conversation is null) { conversation = turns; firstName = names[i]; }
            else if (!turns.SequenceEqual(conversation))
                throw new FormatException($"{firstName} and {names[i]} continue different conversations (the messages before their last differ)");
            responses[i] = response;
        }
        if (promptTurns is null && conversation!.Count == 0)
            throw new FormatException("missing required field 'prompt' (a string or a list of messages)");
        string prompt = ChatMessagesJson.Flatten(conversation!);
        // the conversation itself for chat templates; a single user message is the same as its text
        IReadOnlyList<ChatMessage>? messages = conversation!.Count > 1 ? conversation : null;

        if (format == PreferenceFormat.Pairwise)
        {
            var pair = new PreferencePair(prompt, responses[0], responses[1]) { Messages = messages };
            if (string.IsNullOrWhiteSpace(pair.Chosen)) throw new FormatException("field 'chosen' must be non-empty text");
            if (string.IsNullOrWhiteSpace(pair.Rejected)) throw new FormatException("field 'rejected' must be non-empty text");
            if (pair.Chosen == pair.Rejected) throw new FormatException("'chosen' and 'rejected' are the same text (no preference to learn)");
            var ranked = pair.ToRanked();
            return ranked.Validate() is { } p ? throw new FormatException(p) : ranked;
        }
        var ranking = Integers(Required(o, "ranking", "an array of completion indices, best first"), "ranking");
        var ties = new List<int[]>();
        if (o.TryGetPropertyValue("ties", out var tiesNode))
        {
            if (tiesNode is not JsonArray groups) throw new FormatException($"field 'ties' is {Kind(tiesNode)}; expected an array of index arrays");
            for (int g = 0; g < groups.Count; g++) ties.Add([.. Integers(groups[g], $"ties[{g}]")]);
        }
        bool allBad = false;
        if (o.TryGetPropertyValue("allBad", out var allBadNode))
            allBad = allBadNode?.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? allBadNode.GetValue<bool>()
                : throw new FormatException($"field 'allBad' is {Kind(allBadNode)}; expected true or false");
        var record = new RankedCompletions(prompt, responses, ranking, ties)
        {
            AllBad = allBad,
            Messages = messages,
            Unsafe = o.TryGetPropertyValue("unsafe", out var unsafeNode) ? Integers(unsafeNode, "unsafe") : [],
            Weight = o.TryGetPropertyValue("weight", out var weightNode)
                ? weightNode?.GetValueKind() == JsonValueKind.Number ? weightNode.GetValue<double>() : throw new FormatException($"field 'weight' is {Kind(weightNode)}; expected a number >= 0")
                : 1,
            Labeler = o.TryGetPropertyValue("labeler", out var labelerNode)
                ? labelerNode?.GetValueKind() == JsonValueKind.String ? labelerNode.GetValue<string>() : throw new FormatException($"field 'labeler' is {Kind(labelerNode)}; expected a string")
                : null,
        };
        return record.Validate() is { } problem ? throw new FormatException(problem) : record;
    }

    private static string Name(PreferenceFormat f) => f == PreferenceFormat.Pairwise ? "pairwise" : "ranked";

    private static JsonNode Required(JsonObject o, string key, string expected) =>
        o.TryGetPropertyValue(key, out var v) ? v ?? throw new FormatException($"field '{key}' is null; expected {expected}")
        : throw new FormatException($"missing required field '{key}' ({expected})");

    private static string[] Names(JsonNode completions) => completions is JsonArray a
        ? [.. Enumerable.Range(0, a.Count).Select(i => $"completion {i}")]
        : throw new FormatException($"field 'completions' is {Kind(completions)}; expected an array of completions");

    /// <summary>The prompt's turns from "prompt" (text = one user turn, or messages) or "messages"; null when neither is given.</summary>
    private static List<ChatMessage>? PromptTurns(JsonObject o)
    {
        bool hasPrompt = o.TryGetPropertyValue("prompt", out var prompt), hasMessages = o.TryGetPropertyValue("messages", out var messages);
        if (hasPrompt && hasMessages) throw new FormatException("give either 'prompt' or 'messages', not both");
        if (hasMessages) return ChatMessagesJson.Read(messages, "messages");
        if (!hasPrompt) return null;
        if (prompt is JsonArray) return ChatMessagesJson.Read(prompt, "prompt");
        if (prompt?.GetValueKind() != JsonValueKind.String) throw new FormatException($"field 'prompt' is {Kind(prompt)}; expected a string or a list of messages");
        string text = prompt.GetValue<string>();
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException("field 'prompt' must be non-empty text");
        return [new ChatMessage("user", text)];
    }

    /// <summary>A response given as text, or as messages whose last one is the assistant's (the rest continue the prompt).</summary>
    private static (List<ChatMessage> Prefix, string Response) Response(JsonNode? node, string name)
    {
        if (node?.GetValueKind() == JsonValueKind.String) return ([], node.GetValue<string>());
        if (node is not JsonArray) throw new FormatException($"{name} is {Kind(node)}; expected a string or a list of messages");
        var turns = ChatMessagesJson.Read(node, name);
        if (turns[^1].Role != "assistant") throw new FormatException($"{name}: the last message must be the assistant's, found role '{turns[^1].Role}'");
        return (turns[..^1], turns[^1].Content);
    }

    private static List<int> Integers(JsonNode? node, string name)
    {
        if (node is not JsonArray a) throw new FormatException($"'{name}' is {Kind(node)}; expected an array of integer indices");
        var values = new List<int>(a.Count);
        foreach (var v in a)
            values.Add(v?.GetValueKind() == JsonValueKind.Number && v.AsValue().TryGetValue(out int i) ? i
                : throw new FormatException($"'{name}' holds {Kind(v)}; expected integer indices"));
        return values;
    }

    private static string Kind(JsonNode? node) => ChatMessagesJson.Kind(node);
}
