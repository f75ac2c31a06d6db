using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests.Tokenization;

public class Gpt2PreTokenizerTests
{
    // Expected splits produced by Python's `regex` module with GPT-2's pattern.
    public static TheoryData<string, string[]> Cases => new()
    {
        { "Hello world's  end", ["Hello", " world", "'s", " ", " end"] },
        { "I'm 123abc!!  \n\nfoo", ["I", "'m", " 123", "abc", "!!", "  \n", "\n", "foo"] },
        { "DON'T don't", ["DON", "'", "T", " don", "'t"] },
        { "  hello", [" ", " hello"] },
        { "hello  ", ["hello", "  "] },
        { "a\r\nb", ["a", "\r", "\n", "b"] },
        { "a\tb", ["a", "\t", "b"] },
        { "hi... there", ["hi", "...", " there"] },
        { "héllo wörld", ["héllo", " wörld"] },
        { "你好世界 2024年", ["你好世界", " 2024", "年"] },
        { "x  \t y", ["x", "  \t", " y"] },
        { "we'll they've I'd you're", ["we", "'ll", " they", "'ve", " I", "'d", " you", "'re"] },
        { "😀👍🏽 ok", ["😀👍🏽", " ok"] },
        { "", [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Split_MatchesGpt2(string text, string[] expected) => Assert.Equal(expected, Gpt2PreTokenizer.Split(text));

    [Fact]
    public void Split_CoversTheText_AndNeverCutsASurrogatePair()
    {
        var rng = new Rng(7);
        for (int trial = 0; trial < 300; trial++)
        {
            string text = TokenizerTestData.RandomString(rng, 40);
            var words = Gpt2PreTokenizer.Split(text);
            Assert.Equal(text, string.Concat(words));
            Assert.All(words, w => Assert.False(w.Length == 0 || char.IsLowSurrogate(w[0]) || char.IsHighSurrogate(w[^1])));
        }
    }
}
