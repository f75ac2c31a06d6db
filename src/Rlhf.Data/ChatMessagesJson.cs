using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Models.Tokenization;

namespace Rlhf.Data;

/// <summary>
/// Conversations in data files (TRL's conversational form): a list of <c>{"role": "user"|"assistant", "content": "..."}</c>
/// messages, read with messages naming the field and index, and the plain format's flattened prompt text.
/// </summary>
public static class ChatMessagesJson
{
    /// <summary>
    /// The messages of <paramref name="node"/> (field <paramref name="name"/>); <paramref name="allowSystem"/> lets a
    /// system message open the list. Throws <see cref="FormatException"/> with the problem.
    /// </summary>
    public static List<ChatMessage> Read(JsonNode? node, string name, bool allowSystem = false)
    {
        if (node is not JsonArray list || list.Count == 0) throw new FormatException($"{name} is {Kind(node)}; expected a non-empty list of messages");
        var turns = new List<ChatMessage>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m) throw new FormatException($"{name}[{i}] is {Kind(list[i])}; expected a message {{\"role\", \"content\"}}");
            foreach (var (key, _) in m)
                if (key is not ("role" or "content")) throw new FormatException($"{name}[{i}]: unknown field '{key}' (a message has 'role' and 'content')");
            string role = Text(m, "role", name, i), content = Text(m, "content", name, i);
            bool system = allowSystem && i == 0 && role == "system";
            if (role is not ("user" or "assistant") && !system)
                throw new FormatException($"{name}[{i}]: role '{role}' is not supported (expected {(allowSystem ? "'system' first, then " : "")}'user' or 'assistant')");
            if (string.IsNullOrWhiteSpace(content)) throw new FormatException($"{name}[{i}]: 'content' must be non-empty text");
            turns.Add(new ChatMessage(role, content));
        }
        return turns;
    }

    /// <summary>
    /// Single-turn prompt text for a conversation that starts and ends with a user turn and alternates: the first user
    /// text, then each later turn as <c>"\nAssistant: " + text</c> or <c>"\nUser: " + text</c>, so that
    /// <c>ChatTemplate.FormatPrompt</c> of it reads <c>User: u1\nAssistant: a1\nUser: u2\nAssistant:</c>.
    /// Throws <see cref="FormatException"/> for any other shape.
    /// </summary>
    public static string Flatten(IReadOnlyList<ChatMessage> turns)
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

    private static string Text(JsonObject m, string key, string name, int i) =>
        m[key] is { } v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
        : throw new FormatException($"{name}[{i}]: field '{key}' is {(m.ContainsKey(key) ? Kind(m[key]) : "missing")}; expected a string");

    /// <summary>What a JSON node is, for messages ("null", "a number (3)", …).</summary>
    internal static string Kind(JsonNode? node) => node is null ? "null" : Jsonl.Kind(JsonSerializer.SerializeToElement(node));
}
