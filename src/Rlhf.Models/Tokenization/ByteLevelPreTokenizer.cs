namespace Rlhf.Models.Tokenization;

/// <summary>
/// Hugging Face's <c>ByteLevel</c> pre-tokenizer: with add_prefix_space it prepends a space to every piece that does
/// not start with one (as huggingface/tokenizers does, per piece of the previous stage), with use_regex it then cuts
/// pieces by GPT-2's pattern (<see cref="Gpt2PreTokenizer.Pattern"/>). The byte → character mapping itself needs no
/// stage here: <see cref="BpeTokenizer"/> always works on each piece's UTF-8 bytes.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    private static readonly RegexSplitPreTokenizer Gpt2Split = new(Gpt2PreTokenizer.Regex(), SplitBehavior.Isolated, invert: false);

    /// <summary>Whether a space is prepended to pieces that do not start with one.</summary>
    public bool AddPrefixSpace { get; } = addPrefixSpace;

    /// <summary>Whether pieces are cut by GPT-2's pattern.</summary>
    public bool UseRegex { get; } = useRegex;

    /// <inheritdoc/>
    public override void Split(string piece, List<string> output)
    {
        if (AddPrefixSpace && !piece.StartsWith(' ')) piece = " " + piece;
        if (UseRegex) Gpt2Split.Split(piece, output);
        else output.Add(piece);
    }
}
