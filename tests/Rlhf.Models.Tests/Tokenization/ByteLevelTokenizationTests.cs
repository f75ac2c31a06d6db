using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

public class ByteLevelTokenizationTests
{
    [Fact]
    public void ByteToChar_IsABijectionOntoPrintableCharacters()
    {
        Assert.Equal(256, ByteLevel.ByteToChar.Distinct().Count());
        for (int b = 0; b < 256; b++)
        {
            char c = ByteLevel.ByteToChar[b];
            Assert.False(char.IsWhiteSpace(c) || char.IsControl(c), $"byte {b} maps to a non-printable U+{(int)c:X4}");
            Assert.Equal([(byte)b], ByteLevel.TryDecode(c.ToString())!);
        }
    }

    [Theory]
    [InlineData(0x21, 0x21)]     // '!' is printable: itself
    [InlineData(0x41, 0x41)]
    [InlineData(0xFF, 0xFF)]     // 'ÿ'
    [InlineData(0x00, 0x100)]    // the 68 others go to U+0100.. in byte order
    [InlineData(0x0A, 0x10A)]    // '\n' → 'Ċ'
    [InlineData(0x20, 0x120)]    // ' ' → 'Ġ'
    [InlineData(0x7F, 0x121)]    // DEL
    [InlineData(0xA0, 0x142)]    // NBSP
    [InlineData(0xAD, 0x143)]    // soft hyphen, the last one
    public void ByteToChar_MatchesGpt2(int b, int expected) => Assert.Equal((char)expected, ByteLevel.ByteToChar[b]);

    [Fact]
    public void Gpt2ByteOrder_GivesGpt2sFirstIds()
    {
        // GPT-2's vocab starts with "!"=0, …, and has "Ċ"=198, "Ġ"=220.
        Assert.Equal((byte)'!', ByteLevel.Gpt2ByteOrder[0]);
        Assert.Equal((byte)'\n', ByteLevel.Gpt2ByteOrder[198]);
        Assert.Equal((byte)' ', ByteLevel.Gpt2ByteOrder[220]);
        Assert.Equal((byte)0xAD, ByteLevel.Gpt2ByteOrder[255]);
    }

    [Fact]
    public void TryDecode_RejectsNonByteCharacters() => Assert.Null(ByteLevel.TryDecode("a\u0144"));
}
