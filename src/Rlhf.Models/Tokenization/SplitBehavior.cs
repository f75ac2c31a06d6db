namespace Rlhf.Models.Tokenization;

/// <summary>
/// What a <c>Split</c> pre-tokenizer does with the text its pattern matches (huggingface/tokenizers,
/// <c>SplitDelimiterBehavior</c>); the text between matches is always kept as pieces of its own.
/// </summary>
internal enum SplitBehavior
{
    /// <summary>Dropped: <c>"a-b"</c> split on <c>-</c> → <c>"a", "b"</c>.</summary>
    Removed,

    /// <summary>Its own piece: <c>"a", "-", "b"</c> (Qwen, Llama 3).</summary>
    Isolated,

    /// <summary>Joined to the piece before it: <c>"a-", "b"</c>.</summary>
    MergedWithPrevious,

    /// <summary>Joined to the piece after it: <c>"a", "-b"</c>.</summary>
    MergedWithNext,

    /// <summary>Adjacent matches joined into one piece: <c>"a", "--", "b"</c> for <c>"a--b"</c>.</summary>
    Contiguous,
}
