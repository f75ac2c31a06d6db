using System.Buffers;
using System.Text;

namespace Rlhf.Models.Tokenization;

// Decoding: ids → bytes → text, and a readable form of one token.
public sealed partial class BpeTokenizer
{
    /// <summary>
    /// The text of <paramref name="ids"/>: their bytes joined and read as UTF-8, invalid sequences replaced by U+FFFD
    /// (one per maximal invalid subpart, as Python's <c>errors="replace"</c>). Special tokens give their text unless
    /// <paramref name="skipSpecial"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside 0..VocabSize-1.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false)
    {
        int total = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)_tokens.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Decode: ids[{i}] = {ids[i]} is outside the vocab (size {_tokens.Length}).");
            if (!(skipSpecial && _isSpecial[ids[i]])) total += _tokenBytes[ids[i]].Length;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        int w = 0;
        foreach (int id in ids)
        {
            if (skipSpecial && _isSpecial[id]) continue;
            _tokenBytes[id].CopyTo(buffer, w);
            w += _tokenBytes[id].Length;
        }
        string text = Encoding.UTF8.GetString(buffer, 0, w);
        ArrayPool<byte>.Shared.Return(buffer);
        return text;
    }

    /// <summary>
    /// A readable form of one token for debugging: its bytes as UTF-8 text, with bytes that are not part of a valid
    /// UTF-8 sequence shown as <c>\xNN</c> and control characters as <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\u00NN</c>
    /// (and a backslash as <c>\\</c>), so that whitespace and partial characters are visible.
    /// </summary>
    public string TokenToString(int id)
    {
        ReadOnlySpan<byte> bytes = TokenBytes(id);
        var sb = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out Rune rune, out int used);
            if (status != OperationStatus.Done)
            {
                for (int i = 0; i < used; i++) sb.Append($"\\x{bytes[i]:X2}");
            }
            else if (rune.Value == '\\') sb.Append(@"\\");
            else if (rune.Value == '\n') sb.Append(@"\n");
            else if (rune.Value == '\r') sb.Append(@"\r");
            else if (rune.Value == '\t') sb.Append(@"\t");
            else if (Rune.IsControl(rune)) sb.Append($"\\u{rune.Value:X4}");
            else sb.Append(rune.ToString());
            bytes = bytes[used..];
        }
        return sb.ToString();
    }
}
