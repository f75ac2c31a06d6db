namespace Rlhf.Training.Data;

/// <summary>
/// An SFT example as token ids: the prompt (already in the chat template) and the response, without the final end
/// token (the collator appends it as the last target). <see cref="Source"/> (e.g. <c>sft.jsonl:17</c>) only labels messages.
/// <para>
/// A multi-turn conversation (<c>messages</c> data) is the prompt up to the first assistant token, and as "response"
/// everything after it: later user turns and template tokens too, with <see cref="ResponseMask"/> saying which of
/// them the loss covers (the assistant's), and <see cref="EndId"/> the end-of-turn id that closes the last answer.
/// </para>
/// </summary>
public sealed record TokenizedSft(int[] PromptIds, int[] ResponseIds, string? Source = null)
{
    /// <summary>Parallel to <see cref="ResponseIds"/>: whether predicting that token is trained; null = all are (single-turn).</summary>
    public bool[]? ResponseMask { get; init; }

    /// <summary>The id after the response, always a target; null = the collator's end-of-text id.</summary>
    public int? EndId { get; init; }

    /// <summary>Positions the loss covers: the response tokens (those <see cref="ResponseMask"/> keeps) and the end id.</summary>
    public int LossTokens => (ResponseMask?.Count(m => m) ?? ResponseIds.Length) + 1;
}
