using System.Text.Json.Serialization;
using Rlhf.Data;

namespace Rlhf.Training.Data;

/// <summary>
/// One supervised fine-tuning example, a JSONL line <c>{"prompt": "...", "response": "..."}</c>. Both fields are
/// required, strings, and not empty or whitespace-only. Extra fields (ids, sources) are ignored.
/// </summary>
public sealed record SftExample(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("response")] string Response) : IJsonlRecord
{
    /// <inheritdoc/>
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Prompt) ? "field 'prompt' must be non-empty text"
        : string.IsNullOrWhiteSpace(Response) ? "field 'response' must be non-empty text"
        : null;
}
