using System.Text.Json.Serialization;

namespace Rlhf.Data.Prompts;

/// <summary>
/// One RL prompt, a JSONL line <c>{"prompt": "...", "answer": "..."}</c>. <c>answer</c> is optional: learned-reward RL
/// (PPO against a reward model) needs none, verifiable-reward RL (GRPO with a checker) needs the reference answer.
/// Extra fields are ignored.
/// </summary>
public sealed record RlPrompt(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("answer")] string? Answer = null) : IJsonlRecord
{
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
        foreach (var (line, record) in Jsonl.Read<RlPrompt>(path))
        {
            if (requireAnswer && record.Answer is null)
                throw new DataFormatException($"{path}:{line}: field 'answer' is required here (the reward checks answers)");
            prompts.Add(record);
        }
        if (prompts.Count == 0) throw new DataFormatException($"{path}: no prompts: expected at least one JSON line {{\"prompt\": ...}}");
        return prompts;
    }
}
