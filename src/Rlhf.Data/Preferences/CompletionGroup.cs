using System.Text.Json.Serialization;

namespace Rlhf.Data.Preferences;

/// <summary>
/// One line of a labeling input file: <c>{"prompt": "...", "completions": ["...", ...]}</c>, K ≥ 2 non-empty
/// completions of a plain-text prompt (e.g. K samples from a policy). Other fields are ignored; conversations
/// (message lists) are not supported here.
/// </summary>
public sealed record CompletionGroup(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("completions")] IReadOnlyList<string> Completions) : IJsonlRecord
{
    /// <inheritdoc/>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Prompt)) return "field 'prompt' must be non-empty text";
        if (Completions.Count < 2) return $"expected at least 2 completions to rank, found {Completions.Count}";
        for (int i = 0; i < Completions.Count; i++)
            if (string.IsNullOrWhiteSpace(Completions[i])) return $"completion {i} must be non-empty text"; // null elements land here too
        return null;
    }

    /// <summary>Reads every group of <paramref name="path"/>; throws <see cref="DataFormatException"/> <c>path:line: ...</c> at the first bad line.</summary>
    public static IReadOnlyList<CompletionGroup> Load(string path)
    {
        var groups = Jsonl.Read<CompletionGroup>(path).Select(r => r.Record).ToList();
        return groups.Count > 0 ? groups : throw new DataFormatException($"{path}:1: expected {{\"prompt\", \"completions\"}} records, found an empty file");
    }
}
