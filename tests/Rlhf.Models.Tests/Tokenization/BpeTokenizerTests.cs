using System.Text;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests.Tokenization;

public class BpeTokenizerTests
{
    // Fixture ids worked out by hand (and checked against GPT-2's encoder.py): bytes have GPT-2's ids ('!'=0 …
    // '~'=93, 'h'=71, 'Ġ'=220, 'Ċ'=198, 0xC3=127, 0xA9=102); merges rank 0.. are
    // Ġ t=256, h e=257, Ġt he=258, l l=259, he ll=260, hell o=261, Ġ w=262, o r=263, Ġw or=264, l d=265, Ġwor ld=266;
    // <|endoftext|>=267.
    public static TheoryData<string, int[]> TinyCases => new()
    {
        { "hello world", [261, 266] },              // h e → he, l l → ll, he ll → hell, hell o; Ġ w, o r, Ġw or, l d, Ġwor ld
        { " the hello", [258, 220, 261] },          // " hello" has no Ġh merge: Ġ stays alone
        { "shell", [82, 260] },                     // s + hell (no "hell o" without the o)
        { "hel", [257, 75] },
        { "world", [86, 263, 265] },                // no leading space: w, or, ld
        { "Hello", [39, 68, 259, 78] },             // capital H: only l l applies
        { "é", [127, 102] },                        // two UTF-8 bytes, no merge
        { "\n", [198] },
        { "", [] },
        { "<|endoftext|>", [27, 91, 68, 77, 67, 78, 69, 83, 68, 87, 83, 91, 29] },   // plain text by default
    };

    [Theory]
    [MemberData(nameof(TinyCases))]
    public void Tiny_EncodesAsWorkedOutByHand(string text, int[] expected)
    {
        var tok = TokenizerTestData.Tiny();
        Assert.Equal(expected, tok.Encode(text));
        Assert.Equal(text, tok.Decode(expected));
    }

    [Fact]
    public void Tiny_SpecialIdsAndLookups()
    {
        var tok = TokenizerTestData.Tiny();
        Assert.Equal(268, tok.VocabSize);
        Assert.Equal(267, tok.EndOfTextId);
        Assert.False(tok.HasPadToken);
        Assert.Equal(tok.EndOfTextId, tok.PadId);      // GPT-2 convention: no pad token, pad with end-of-text
        Assert.True(tok.IsSpecial(267));
        Assert.False(tok.IsSpecial(266));
        Assert.Equal("Ġworld", tok.IdToToken(266));
        Assert.True(tok.TryGetId("Ġthe", out int the));
        Assert.Equal(258, the);
        Assert.False(tok.TryGetId("Ġwat", out _));
        Assert.Equal(("Ġ", "t"), tok.Merges[0]);
    }

    [Fact]
    public void SpecialTokens_AreTextByDefault_AndIdsWhenAllowed()
    {
        var tok = TokenizerTestData.Tiny();
        Assert.DoesNotContain(267, tok.Encode("hello<|endoftext|> world"));
        Assert.Equal([261, 267, 266], tok.Encode("hello<|endoftext|> world", allowSpecial: true));
        Assert.Equal([267, 267], tok.Encode("<|endoftext|><|endoftext|>", allowSpecial: true));
        Assert.Equal([27, 91, 261, 267], tok.Encode("<|hello<|endoftext|>", allowSpecial: true));   // partial match is text
        Assert.Equal("hello<|endoftext|> world", tok.Decode([261, 267, 266]));
        Assert.Equal("hello world", tok.Decode([261, 267, 266], skipSpecial: true));
    }

    [Fact]
    public void SpecialTokens_LongestWinsAtTheSamePosition()
    {
        var vocab = ByteVocab();
        vocab.AddRange(["<|endoftext|>", "<|a|>", "<|a|>x"]);
        var tok = new BpeTokenizer(vocab, [], ["<|a|>", "<|endoftext|>", "<|a|>x"]);
        Assert.Equal([258, 257], tok.Encode("<|a|>x<|a|>", allowSpecial: true));
        Assert.Equal(["<|endoftext|>", "<|a|>x", "<|a|>"], tok.SpecialTokens);
    }

    [Fact]
    public void Trained_PadTokenIsItsOwnSpecialId()
    {
        var tok = TokenizerTestData.Trained;
        Assert.True(tok.HasPadToken);
        Assert.NotEqual(tok.EndOfTextId, tok.PadId);
        Assert.Equal(BpeTokenizer.PadToken, tok.IdToToken(tok.PadId));
        Assert.Equal([tok.PadId], tok.Encode("<|pad|>", allowSpecial: true));
        Assert.NotEqual([tok.PadId], tok.Encode("<|pad|>"));
    }

    public static TheoryData<string> RoundTripCases => new()
    {
        "",
        "Hello, world! The model's reward was 42.",
        "café naïve résumé Über façade",
        "日本語のテキスト、中文文本。한국어",
        "emoji 😀 skin 👍🏽 family 👨‍👩‍👧‍👦 flag 🏳️‍🌈 keycap 1️⃣",
        "combining e\u0301 a\u0308 o\u0303\u0304 क्ष",
        "a   b\t\tc\n\n\n  d  ",
        "line one\r\nline two\r\n",
        "   ",
        "\t",
        "\u00A0nbsp\u00AD soft\u0000nul\u007F",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𠀁 astral letters",
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Trained_RoundTripsAndMatchesGpt2Algorithm(string text)
    {
        var tok = TokenizerTestData.Trained;
        int[] ids = tok.Encode(text);
        Assert.Equal(text, tok.Decode(ids));
        Assert.Equal(new Gpt2BpeReference(tok).Encode(text), ids);
    }

    [Fact]
    public void Trained_RandomCodePoints_RoundTripAndMatchGpt2Algorithm()
    {
        var tok = TokenizerTestData.Trained;
        var reference = new Gpt2BpeReference(tok);
        var rng = new Rng(12345);
        for (int trial = 0; trial < 400; trial++)
        {
            string text = TokenizerTestData.RandomString(rng, 60);
            int[] ids = tok.Encode(text);
            Assert.Equal(text, tok.Decode(ids));
            Assert.Equal(reference.Encode(text), ids);
        }
    }

    [Fact]
    public void Trained_CompressesItsOwnCorpus_AndMatchesGpt2Algorithm()
    {
        var tok = TokenizerTestData.Trained;
        string text = TokenizerTestData.Corpus(5_000, seed: 99);
        int[] ids = tok.Encode(text);
        Assert.Equal(text, tok.Decode(ids));
        Assert.Equal(new Gpt2BpeReference(tok).Encode(text), ids);
        Assert.True(ids.Length < text.Length / 3, $"{ids.Length} tokens for {text.Length} chars: merges not applied?");
    }

    [Fact]
    public void LongWordWithoutSpaces_MatchesGpt2Algorithm()
    {
        // One pre-token of 6000 letters exercises the heap merge on long symbol lists.
        var tok = TokenizerTestData.Trained;
        var rng = new Rng(3);
        var sb = new StringBuilder();
        while (sb.Length < 6000) sb.Append("thereofthemodelwouldrewardpeople"[rng.NextInt(32)]);
        string text = sb.ToString();
        Assert.Single(Gpt2PreTokenizer.Split(text));
        Assert.Equal(new Gpt2BpeReference(tok).Encode(text), tok.Encode(text));
    }

    [Fact]
    public void MergeOrder_FollowsRanks_WhenANeighbourChangesFirst()
    {
        // "zabc" with merges 0: b c, 1: a b, 2: z a, 3: a bc. GPT-2: b c → [z, a, bc]; now (z,a)=2 beats (a,bc)=3 →
        // [za, bc]. The (a,b) heap entry left over from the start must not merge a with bc at rank 1.
        var vocab = ByteVocab();
        vocab.AddRange(["bc", "ab", "za", "abc", "<|endoftext|>"]);
        var tok = new BpeTokenizer(vocab, [("b", "c"), ("a", "b"), ("z", "a"), ("a", "bc")], ["<|endoftext|>"]);
        Assert.Equal([258, 256], tok.Encode("zabc"));
        Assert.Equal(new Gpt2BpeReference(tok).Encode("zabc"), tok.Encode("zabc"));
        Assert.Equal([259], tok.Encode("abc"));
    }

    [Fact]
    public void UnseenCharacters_FallBackToByteTokens()
    {
        var tok = TokenizerTestData.Trained;
        string text = "\U0001F9EC\u16A0\u0F00";    // DNA emoji, rune, Tibetan: never in the corpus
        int[] ids = tok.Encode(text);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), ids.Length);
        Assert.All(ids, id => Assert.Equal(1, tok.TokenBytes(id).Length));
        Assert.Equal(text, tok.Decode(ids));
    }

    [Theory]
    [InlineData(new byte[] { 0xE2, 0x82 }, "\uFFFD")]                         // truncated 3-byte sequence: one
    [InlineData(new byte[] { 0xC0, 0x80 }, "\uFFFD\uFFFD")]                   // overlong: two
    [InlineData(new byte[] { 0x61, 0xFF, 0x62 }, "a\uFFFDb")]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98, 0x61 }, "\uFFFDa")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "\uFFFD\uFFFD\uFFFD")]       // encoded surrogate: three
    [InlineData(new byte[] { 0xE2, 0x82, 0xAC }, "€")]
    public void Decode_InvalidUtf8_ReplacesLikePython(byte[] bytes, string expected)
    {
        // Expected strings are Python's bytes.decode("utf-8", errors="replace").
        var tok = TokenizerTestData.Tiny();
        int[] ids = bytes.Select(b => Array.IndexOf(ByteLevel.Gpt2ByteOrder, b)).ToArray();
        Assert.Equal(expected, tok.Decode(ids));
    }

    [Fact]
    public void Decode_OutOfRangeId_Throws()
    {
        var tok = TokenizerTestData.Tiny();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([1, 268]));
        Assert.Contains("ids[1] = 268", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.IdToToken(-1));
    }

    [Fact]
    public void TokenToString_ShowsWhitespaceAndPartialBytes()
    {
        var tok = TokenizerTestData.Tiny();
        Assert.Equal(" world", tok.TokenToString(266));
        Assert.Equal(@"\n", tok.TokenToString(198));
        Assert.Equal(@"\xC3", tok.TokenToString(127));
        Assert.Equal(@"\u0000", tok.TokenToString(188));
        Assert.Equal("<|endoftext|>", tok.TokenToString(267));
    }

    [Fact]
    public void Encode_IsThreadSafe()
    {
        var tok = BpeTrainer.Train(TokenizerTestData.Corpus(20_000, seed: 5), 400);
        string[] texts = Enumerable.Range(0, 16).Select(i => TokenizerTestData.Corpus(2_000, (ulong)(100 + i))).ToArray();
        int[][] serial = texts.Select(t => new Gpt2BpeReference(tok).Encode(t)).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => parallel[i] = tok.Encode(texts[i]));
        Assert.Equal(serial, parallel);
    }

    [Fact]
    public void Constructor_RejectsInconsistentVocabs()
    {
        var noEot = ByteVocab();
        Assert.Contains("<|endoftext|> is missing", Assert.Throws<ArgumentException>(() => new BpeTokenizer(noEot, [], [])).Message);

        var missingByte = ByteVocab();
        missingByte[65] = "<|endoftext|>";       // 'A' has no token
        Assert.Contains("byte 0x41", Assert.Throws<ArgumentException>(() => new BpeTokenizer(missingByte, [], ["<|endoftext|>"])).Message);

        var vocab = ByteVocab();
        vocab.Add("<|endoftext|>");
        var e = Assert.Throws<ArgumentException>(() => new BpeTokenizer(vocab, [("a", "b")], ["<|endoftext|>"]));
        Assert.Contains("merge 0", e.Message);
        Assert.Contains("\"ab\"", e.Message);
        e = Assert.Throws<ArgumentException>(() => new BpeTokenizer([.. vocab, "a b"], [], ["<|endoftext|>"]));
        Assert.Contains("not byte-level (U+0020)", e.Message);
    }

    // The 256 byte tokens, id = byte value.
    private static List<string> ByteVocab() => Enumerable.Range(0, 256).Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();
}
