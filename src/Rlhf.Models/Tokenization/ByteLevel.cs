namespace Rlhf.Models.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character map (<c>bytes_to_unicode</c> in OpenAI's encoder.py). Byte-level BPE works on
/// bytes, but vocab files store tokens as strings, so every byte gets a printable character: the 188 bytes that are
/// printable Latin-1 (<c>'!'..'~'</c>, <c>'¡'..'¬'</c>, <c>'®'..'ÿ'</c>) map to themselves, the other 68 (controls,
/// space, DEL, NBSP, soft hyphen) map in byte order to U+0100, U+0101, … — so space is <c>'Ġ'</c> (U+0120) and
/// <c>'\n'</c> is <c>'Ċ'</c> (U+010A). A token's vocab string is its bytes mapped one by one.
/// </summary>
internal static class ByteLevel
{
    /// <summary>ByteToChar[b] = the character that stands for byte b.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    // Inverse map over the small range the characters occupy (all below U+0144); -1 = not a byte-level character.
    private static readonly short[] _charToByte = BuildCharToByte();

    /// <summary>GPT-2's ordering of the 256 bytes: printable ones first, then the rest (its first 256 vocab ids).</summary>
    public static readonly byte[] Gpt2ByteOrder = BuildGpt2Order();

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = IsPrintable(b) ? (char)b : (char)(256 + n++);
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var inv = new short[324];
        Array.Fill(inv, (short)-1);
        for (int b = 0; b < 256; b++) inv[ByteToChar[b]] = (short)b;
        return inv;
    }

    private static byte[] BuildGpt2Order()
    {
        var order = new byte[256];
        int i = 0;
        for (int b = 0; b < 256; b++) if (IsPrintable(b)) order[i++] = (byte)b;
        for (int b = 0; b < 256; b++) if (!IsPrintable(b)) order[i++] = (byte)b;
        return order;
    }

    /// <summary>Whether <paramref name="c"/> is one of the 256 byte characters.</summary>
    public static bool IsByteChar(char c) => c < _charToByte.Length && _charToByte[c] >= 0;

    /// <summary>The byte-level string of <paramref name="bytes"/>: one character per byte.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a byte-level string stands for; null when a character is not one of the 256.</summary>
    public static byte[]? TryDecode(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            char c = token[i];
            int b = c < _charToByte.Length ? _charToByte[c] : -1;
            if (b < 0) return null;
            bytes[i] = (byte)b;
        }
        return bytes;
    }
}
