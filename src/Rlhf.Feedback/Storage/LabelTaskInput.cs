using System.Text.Json.Serialization;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// One task to enqueue (a line of <c>rlhf label enqueue --completions</c>, an element of <c>POST /api/tasks</c>):
/// <c>{"prompt", "completions": [K texts], "messages"?: [{"role", "content"}], "critiques"?: [K texts or null],
/// "gold"?: [ranking]}</c>.
/// <list type="bullet">
/// <item><c>messages</c>: the conversation before <c>prompt</c> (multi-turn; alternating, starting with "user" and
/// ending with "assistant"); the page shows it above the replies and the export keeps it.</item>
/// <item><c>critiques</c>: AI-written critiques, one per completion (null or "" for none), shown beside each card and
/// marked as AI-written (assisted review, Saunders et al. 2022).</item>
/// <item><c>gold</c>: a known order best → worst: the task is a hidden gold / attention check, shown like any other,
/// scored against this order and left out of the export.</item>
/// </list>
/// </summary>
public sealed record LabelTaskInput(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("completions")] IReadOnlyList<string> Completions,
    [property: JsonPropertyName("messages")] IReadOnlyList<ChatMessage>? Messages = null,
    [property: JsonPropertyName("critiques")] IReadOnlyList<string?>? Critiques = null,
    [property: JsonPropertyName("gold")] IReadOnlyList<int>? Gold = null) : IJsonlRecord
{
    /// <summary>A plain group (prompt and completions only).</summary>
    public static LabelTaskInput From(CompletionGroup g) => new(g.Prompt, g.Completions);

    /// <inheritdoc/>
    public string? Validate()
    {
        if (Completions is null) return "missing field 'completions' (an array of K >= 2 texts)";
        if (new CompletionGroup(Prompt, Completions).Validate() is { } problem) return problem;
        if (Messages is not null)
            for (int i = 0; i < Messages.Count; i++)
            {
                var m = Messages[i];
                string expected = i % 2 == 0 ? "user" : "assistant";
                if (m is null || m.Role != expected) return $"messages[{i}]: expected role '{expected}' (the conversation alternates, starting with 'user')";
                if (string.IsNullOrWhiteSpace(m.Content)) return $"messages[{i}]: 'content' must be non-empty text";
            }
        if (Messages is { Count: > 0 } && Messages.Count % 2 != 0) return "'messages' must end with an assistant turn ('prompt' is the user's next turn)";
        if (Critiques is not null && Critiques.Count != Completions.Count)
            return $"'critiques' has {Critiques.Count} entries; expected one per completion ({Completions.Count}), null for none";
        if (Gold is not null)
        {
            var record = new RankedCompletions(Prompt, Completions, Gold, []);
            if (record.Validate() is { } bad) return $"'gold': {bad.Replace("'ranking'", "the order", StringComparison.Ordinal)}";
        }
        return null;
    }
}
