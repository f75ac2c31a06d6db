namespace Rlhf.Models.Tokenization;

/// <summary>
/// A conversation rendered by <see cref="ChatFormat"/> and encoded: <c>Ids</c>, and for each id whether it is an
/// assistant token (the content of an assistant message and the end-of-turn token that closes it). SFT puts the
/// loss on position t (predicting <c>Ids[t]</c>) only where <c>AssistantMask[t]</c>; template tokens, system and user
/// text are context.
/// </summary>
/// <param name="Ids">The token ids.</param>
/// <param name="AssistantMask">Parallel to <paramref name="Ids"/>: true for assistant tokens.</param>
public sealed record ChatEncoding(int[] Ids, bool[] AssistantMask)
{
    /// <summary>Number of assistant tokens.</summary>
    public int AssistantTokens => AssistantMask.Count(m => m);
}
