using System.Text.Json.Serialization;

namespace Rlhf.Feedback.Storage;

/// <summary>One earlier turn of a conversation shown above a task's candidate replies: role "user" or "assistant", and its text.</summary>
public sealed record ChatMessage(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content);
