using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Rlhf.Models.Tokenization;

namespace Rlhf.Data.Prompts;

/// <summary>
/// One RL prompt, a JSONL line <c>{"prompt": "...", "answer": "..."}</c>. <c>answer</c> is optional: learned-reward RL
/// (PPO against a reward model) needs none, verifiable-reward RL (GRPO with a checker) needs the reference answer.
/// Extra fields are ignored. The prompt may be a conversation (TRL's conversational prompt datasets):
/// <c>{"prompt": [{"role": "user", "content": "..."}, {"role": "assistant", ...}, ...]}</c>, alternating from and ending
/// with a user message; it is kept in <see cref="Messages"/> for chat templates (rendered with the generation prompt)
/// and <see cref="Prompt"/> holds it flattened for the plain format (as <c>PreferenceData</c> flattens).
/// </summary>
public sealed record RlPrompt(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("answer")] string? Answer = null) : IJsonlRecord
{
    /// <summary>The prompt's conversation when the file gave more than one message; null for a single user message (<see cref="Prompt"/>).</summary>
    [JsonIgnore]
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <inheritdoc/>
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Prompt) ? "field 'prompt' must be non-empty text"
        : Answer is not null && string.IsNullOrWhiteSpace(Answer) ? "field 'answer', when given, must be non-empty text"
        : null;

    /// <summary>
    /// Reads a prompts file; <paramref name="requireAnswer"/> makes a missing answer an error naming the line.
    /// Throws <see cref="DataFormatException"/> (<c>path:line: ...</c>) on bad lines and on a file without prompts.
    /// </summary>
    public static List<RlPrompt> Load(string path, bool requireAnswer = false)
    {
        var prompts = new List<RlPrompt>();
        foreach (var (line, o) in Jsonl.Read<JsonObject>(path))
        {
            var record = o["prompt"] is JsonArray list ? FromMessages(list, o, path, line) : Jsonl.Deserialize<RlPrompt>(o, path, line);
            if (requireAnswer && record.Answer is null)
                throw new DataFormatException($"{path}:{line}: field 'answer' is required here (the reward checks answers)");
            prompts.Add(record);
        }
        if (prompts.Count == 0) throw new DataFormatException($"{path}: no prompts: expected at least one JSON line {{\"prompt\": ...}}");
        return prompts;
    }

    private static RlPrompt FromMessages(JsonArray list, JsonObject o, string path, int line)
    {
        try
        {
            var messages = ChatMessagesJson.Read(list, "prompt");
            string? answer = !o.TryGetPropertyValue("answer", out var a) || a is null ? null
                : a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>()
                : throw new FormatException($"field 'answer' is {ChatMessagesJson.Kind(a)}; expected a string");
            var record = new RlPrompt(ChatMessagesJson.Flatten(messages), answer) { Messages = messages.Count > 1 ? messages : null };
            return record.Validate() is { } problem ? throw new FormatException(problem) : record;
        }
        catch (FormatException e) { throw new DataFormatException($"{path}:{line}: {e.Message}", e); }
    }
}
