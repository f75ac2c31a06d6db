using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// Hugging Face's <c>Split</c> pre-tokenizer: the pattern's matches and the text between them become pieces, and
/// <see cref="SplitBehavior"/> says what happens to the matches (with invert, the text between matches is treated as
/// the delimiter instead). Empty matches are ignored, as in huggingface/tokenizers.
/// <para>
/// Regex semantics against HF's Rust engine (Oniguruma; <c>fancy-regex</c> in some builds), checked for the patterns
/// Qwen2/Qwen3, Llama 3 and SmolLM2 use: <c>\s</c> is the same set in both (.NET: <c>[\t-\r\x85\p{Z}]</c> = Unicode
/// White_Space), lookahead <c>\s+(?!\S)</c> and greedy backtracking behave the same, and <c>(?i:…)</c> groups are
/// compiled culture-invariant. One real difference: .NET matches UTF-16 code units, so a character outside the
/// Basic Multilingual Plane (emoji, CJK Extension B, mathematical digits) is two surrogates of category Cs, and
/// <c>\p{L}</c>/<c>\p{N}</c> would not see astral letters and digits. The pattern therefore runs on a shadow string
/// in which every astral code point is one BMP character of the same class (<c>'a'</c> for a letter, <c>'0'</c> for
/// a number, <c>'¤'</c> otherwise) and match positions are mapped back, so <c>\p{N}{1,3}</c> counts code points as
/// Rust does.
/// </para>
/// </summary>
internal sealed class RegexSplitPreTokenizer(Regex regex, SplitBehavior behavior, bool invert) : PreTokenizer
{
    /// <summary>The pattern.</summary>
    public Regex Regex { get; } = regex;

    /// <summary>What happens to matches.</summary>
    public SplitBehavior Behavior { get; } = behavior;

    /// <summary>Whether the text between matches is the delimiter instead of the matches.</summary>
    public bool Invert { get; } = invert;

    /// <summary>
    /// Compiles a tokenizer.json regex for .NET: culture-invariant (so <c>(?i:'s)</c> does not depend on the
    /// machine's culture), compiled (it runs on every piece of every text).
    /// </summary>
    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(10));

    /// <inheritdoc/>
    public override void Split(string piece, List<string> output)
    {
        if (piece.Length == 0) return;
        // 1. (start, end, isDelimiter) runs covering the piece in order
        var runs = new List<(int Start, int End, bool Delimiter)>();
        int at = 0;
        string subject = Shadow(piece, out int[]? toOriginal);
        foreach (ValueMatch m in Regex.EnumerateMatches(subject))
        {
            if (m.Length == 0) continue;
            int start = toOriginal?[m.Index] ?? m.Index, end = toOriginal?[m.Index + m.Length] ?? m.Index + m.Length;
            if (start > at) runs.Add((at, start, Invert));
            runs.Add((start, end, !Invert));
            at = end;
        }
        if (at < piece.Length) runs.Add((at, piece.Length, Invert));

        // 2. pieces by behavior (huggingface/tokenizers normalizer.rs, NormalizedString::split)
        var cuts = new List<(int Start, int End)>(runs.Count);
        switch (Behavior)
        {
            case SplitBehavior.Removed:
                foreach (var r in runs) if (!r.Delimiter) cuts.Add((r.Start, r.End));
                break;
            case SplitBehavior.Isolated:
                foreach (var r in runs) cuts.Add((r.Start, r.End));
                break;
            case SplitBehavior.Contiguous:
                bool? previous = null;
                foreach (var r in runs)
                {
                    if (previous == true && r.Delimiter) cuts[^1] = (cuts[^1].Start, r.End);
                    else cuts.Add((r.Start, r.End));
                    previous = r.Delimiter;
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                bool previousDelimiter = false;
                foreach (var r in runs)
                {
                    if (r.Delimiter && !previousDelimiter && cuts.Count > 0) cuts[^1] = (cuts[^1].Start, r.End);
                    else cuts.Add((r.Start, r.End));
                    previousDelimiter = r.Delimiter;
                }
                break;
            case SplitBehavior.MergedWithNext:
                bool nextDelimiter = false;
                var reversed = new List<(int Start, int End)>(runs.Count);
                for (int i = runs.Count - 1; i >= 0; i--)
                {
                    var r = runs[i];
                    if (r.Delimiter && !nextDelimiter && reversed.Count > 0) reversed[^1] = (r.Start, reversed[^1].End);
                    else reversed.Add((r.Start, r.End));
                    nextDelimiter = r.Delimiter;
                }
                reversed.Reverse();
                cuts = reversed;
                break;
            default:
                throw new InvalidOperationException($"unknown split behavior {Behavior}");
        }
        foreach (var (start, end) in cuts)
            output.Add(start == 0 && end == piece.Length ? piece : piece[start..end]);
    }

    /// <summary>
    /// <paramref name="text"/> with each astral code point replaced by one BMP character of the same class; null map
    /// (and the text itself) when there is none. map[i] is the original index of shadow index i, map[^1] the length.
    /// </summary>
    internal static string Shadow(string text, out int[]? map)
    {
        map = null;
        int first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return text;
        var sb = new StringBuilder(text.Length);
        var positions = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            positions.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int cp = char.ConvertToUtf32(text[i], text[i + 1]);
                sb.Append(CharUnicodeInfo.GetUnicodeCategory(cp) switch
                {
                    UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => 'a',
                    UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => '0',
                    _ => '¤',
                });
                i += 2;
            }
            else sb.Append(text[i++]);
        }
        positions.Add(text.Length);
        map = positions.ToArray();
        return sb.ToString();
    }
}
