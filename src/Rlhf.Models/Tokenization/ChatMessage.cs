namespace Rlhf.Models.Tokenization;

/// <summary>One message of a conversation, as in Hugging Face's <c>messages</c> lists.</summary>
/// <param name="Role">"system", "user" or "assistant".</param>
/// <param name="Content">The message text.</param>
public sealed record ChatMessage(string Role, string Content);
