namespace Rlhf.Models.Tokenization;

/// <summary>
/// One stage of a Hugging Face pre-tokenizer (tokenizer.json's <c>pre_tokenizer</c>): it cuts each piece of text into
/// smaller pieces, and BPE merges never cross a piece boundary. A <c>Sequence</c> is the stages applied in order, each
/// to every piece the previous one produced (<see cref="Apply"/>). Pieces concatenate back to the input, except where
/// a stage adds text (<see cref="ByteLevelPreTokenizer"/>'s prefix space) or removes it (<see cref="SplitBehavior.Removed"/>).
/// </summary>
internal abstract class PreTokenizer
{
    /// <summary>Appends the pieces of <paramref name="piece"/> to <paramref name="output"/>.</summary>
    public abstract void Split(string piece, List<string> output);

    /// <summary>The pieces of <paramref name="text"/> after every stage of <paramref name="stages"/> in order.</summary>
    public static List<string> Apply(IReadOnlyList<PreTokenizer> stages, string text)
    {
        var pieces = new List<string> { text };
        var next = new List<string>();
        foreach (PreTokenizer stage in stages)
        {
            next.Clear();
            foreach (string piece in pieces) stage.Split(piece, next);
            (pieces, next) = (next, pieces);
        }
        return pieces;
    }
}
