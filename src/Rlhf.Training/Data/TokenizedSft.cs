namespace Rlhf.Training.Data;

/// <summary>
/// An SFT example as token ids: the prompt (already in the chat template) and the response, without the final
/// end-of-text (the collator appends it). <see cref="Source"/> (e.g. <c>sft.jsonl:17</c>) only labels messages.
/// </summary>
public sealed record TokenizedSft(int[] PromptIds, int[] ResponseIds, string? Source = null);
