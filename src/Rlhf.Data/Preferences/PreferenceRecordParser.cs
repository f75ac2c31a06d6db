using System.Text;
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
        List<Turn>? conversation = null;
        string? firstName = null;
        for (int i = 0; i < names.Length; i++)
        {
            var node = format == PreferenceFormat.Pairwise ? Required(o, names[i], "a string or a list of messages") : o["completions"]![i];
            var (prefix, response) = Response(node, names[i]);
            var turns = new List<Turn>(promptTurns ?? []);
            turns.AddRange(prefix);
            if (conversation is null) { conversation = turns; firstName = names[i]; }
            else if (!turns.SequenceEqual(conversation))
                throw new FormatException($"{firstName} and {names[i]} continue different conversations (the messages before their last differ)");
            responses[i] = response;
        }
        if (promptTurns is null && conversation!.Count == 0)
            throw new FormatException("missing required field 'prompt' (a string or a list of messages)");
        string prompt = Flatten(conversation!);

        if (format == PreferenceFormat.Pairwise)
        {
            var pair = new PreferencePair(prompt, responses[0], responses[1]);
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

    /// <summary>One chat message: role ("user" or "assistant") and its text.</summary>
    private readonly record struct Turn(string Role, string Content);

    private static string Name(PreferenceFormat f) => f == PreferenceFormat.Pairwise ? "pairwise" : "ranked";

    private static JsonNode Required(JsonObject o, string key, string expected) =>
        o.TryGetPropertyValue(key, out var v) ? v ?? throw new FormatException($"field '{key}' is null; expected {expected}")
        : throw new FormatException($"missing required field '{key}' ({expected})");

    private static string[] Names(JsonNode completions) => completions is JsonArray a
        ? [.. Enumerable.Range(0, a.Count).Select(i => $"completion {i}")]
        : throw new FormatException($"field 'completions' is {Kind(completions)}; expected an array of completions");

    /// <summary>The prompt's turns from "prompt" (text = one user turn, or messages) or "messages"; null when neither is given.</summary>
    private static List<Turn>? PromptTurns(JsonObject o)
    {
        bool hasPrompt = o.TryGetPropertyValue("prompt", out var prompt), hasMessages = o.TryGetPropertyValue("messages", out var messages);
        if (hasPrompt && hasMessages) throw new FormatException("give either 'prompt' or 'messages', not both");
        if (hasMessages) return Messages(messages, "messages");
        if (!hasPrompt) return null;
        if (prompt is JsonArray) return Messages(prompt, "prompt");
        if (prompt?.GetValueKind() != JsonValueKind.String) throw new FormatException($"field 'prompt' is {Kind(prompt)}; expected a string or a list of messages");
        string text = prompt.GetValue<string>();
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException("field 'prompt' must be non-empty text");
        return [new Turn("user", text)];
    }

    /// <summary>A response given as text, or as messages whose last one is the assistant's (the rest continue the prompt).</summary>
    private static (List<Turn> Prefix, string Response) Response(JsonNode? node, string name)
    {
        if (node?.GetValueKind() == JsonValueKind.String) return ([], node.GetValue<string>());
        if (node is not JsonArray) throw new FormatException($"{name} is {Kind(node)}; expected a string or a list of messages");
        var turns = Messages(node, name);
        if (turns[^1].Role != "assistant") throw new FormatException($"{name}: the last message must be the assistant's, found role '{turns[^1].Role}'");
        return (turns[..^1], turns[^1].Content);
    }

    private static List<Turn> Messages(JsonNode? node, string name)
    {
        if (node is not JsonArray list || list.Count == 0) throw new FormatException($"{name} is {Kind(node)}; expected a non-empty list of messages");
        var turns = new List<Turn>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m) throw new FormatException($"{name}[{i}] is {Kind(list[i])}; expected a message {{\"role\", \"content\"}}");
            foreach (var (key, _) in m)
                if (key is not ("role" or "content")) throw new FormatException($"{name}[{i}]: unknown field '{key}' (a message has 'role' and 'content')");
            string role = Text(m, "role", name, i), content = Text(m, "content", name, i);
            if (role is not ("user" or "assistant")) throw new FormatException($"{name}[{i}]: role '{role}' is not supported (expected 'user' or 'assistant')");
            if (string.IsNullOrWhiteSpace(content)) throw new FormatException($"{name}[{i}]: 'content' must be non-empty text");
            turns.Add(new Turn(role, content));
        }
        return turns;
    }

    private static string Text(JsonObject m, string key, string name, int i) =>
        m[key] is { } v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
        : throw new FormatException($"{name}[{i}]: field '{key}' is {(m.ContainsKey(key) ? Kind(m[key]) : "missing")}; expected a string");

    /// <summary>
    /// Single-turn prompt text for a conversation that starts and ends with a user turn and alternates: the first user
    /// text, then each later turn as <c>"\nAssistant: " + text</c> or <c>"\nUser: " + text</c>, so that
    /// <c>ChatTemplate.FormatPrompt</c> of it reads <c>User: u1\nAssistant: a1\nUser: u2\nAssistant:</c>.
    /// </summary>
    private static string Flatten(List<Turn> turns)
    {
        if (turns[0].Role != "user") throw new FormatException("the conversation must start with a user message");
        if (turns[^1].Role != "user") throw new FormatException("the prompt's conversation must end with a user message");
        var text = new StringBuilder(turns[0].Content);
        for (int i = 1; i < turns.Count; i++)
        {
            if (turns[i].Role == turns[i - 1].Role) throw new FormatException($"messages must alternate user/assistant; two '{turns[i].Role}' messages follow each other");
            text.Append(turns[i].Role == "user" ? "\n" + ChatTemplate.UserPrefix : ChatTemplate.AssistantPrefix + " ").Append(turns[i].Content);
        }
        return text.ToString();
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

    private static string Kind(JsonNode? node) => node is null ? "null" : Data.Jsonl.Kind(JsonSerializer.SerializeToElement(node));
}
