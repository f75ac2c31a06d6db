using System.Text.RegularExpressions;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// GPT-2's pre-tokenizer: the text is cut into "words" by <see cref="Pattern"/> before BPE, and merges never cross a
/// word boundary. Contractions split off (<c>"world's"</c> → <c>"world", "'s"</c>, lowercase only, as in GPT-2),
/// a single leading space sticks to the next letter/number/punctuation run (<c>" world"</c>), and a whitespace run
/// before a word leaves its last space to that word (<c>"  end"</c> → <c>" ", " end"</c>).
/// Caveat: .NET regexes see UTF-16 code units, so letters and digits outside the BMP (CJK Extension B,
/// mathematical alphanumerics) fall in the punctuation class here while Python's <c>regex</c> calls them letters;
/// splits of such text can differ from GPT-2's. Encoding stays lossless either way. Surrogate pairs are never split
/// (both halves match the same class).
/// </summary>
public static partial class Gpt2PreTokenizer
{
    /// <summary>The GPT-2 pre-tokenization pattern.</summary>
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The pattern, compiled at build time by the regex source generator.</summary>
    [GeneratedRegex(Pattern)]
    internal static partial Regex Regex();

    /// <summary>The words of <paramref name="text"/> in order; their concatenation is <paramref name="text"/>.</summary>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        foreach (ValueMatch m in Regex().EnumerateMatches(text)) words.Add(text.Substring(m.Index, m.Length));
        return words;
    }
}
