using System.Text;
using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>
/// Exactness against the real Qwen3 and Llama 3 tokenizers: for every text of tests/data/tokenizer-texts.json the ids
/// equal those of the JS reference encoder (transformers.js over the same tokenizer.json), with and without the
/// model's special tokens, and decoding gives the text back (NFC-normalized for Qwen, whose normalizer is NFC).
/// </summary>
public sealed class RealTokenizerTests
{
    public static TheoryData<string> Names => ["qwen3", "llama3"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Encode_EqualsTheReferenceIds_ForEveryText(string name)
    {
        var tok = RealTokenizers.Tokenizer(name);
        var cases = RealTokenizers.Cases(name);
        Assert.True(cases.Count >= 40, $"only {cases.Count} reference texts");
        var wrong = new List<string>();
        foreach (var c in cases)
        {
            int[] ids = tok.Encode(c.Text, allowSpecial: true);
            if (!ids.SequenceEqual(c.Ids))
                wrong.Add($"{Show(c.Text)}\n  ours [{string.Join(",", ids)}]\n  ref  [{string.Join(",", c.Ids)}]");
            int[] withSpecial = tok.EncodeWithSpecialTokens(c.Text);
            if (!withSpecial.SequenceEqual(c.IdsWithSpecial))
                wrong.Add($"{Show(c.Text)} with special tokens\n  ours [{string.Join(",", withSpecial)}]\n  ref  [{string.Join(",", c.IdsWithSpecial)}]");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {cases.Count * 2} encodings differ:\n" + string.Join("\n", wrong));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Decode_OfEncode_GivesTheTextBack(string name)
    {
        var tok = RealTokenizers.Tokenizer(name);
        bool nfc = name == "qwen3";
        foreach (var c in RealTokenizers.Cases(name))
        {
            string expected = nfc ? UnicodeNormalizer.Normalize(c.Text, NormalizationForm.FormC) : c.Text;
            Assert.Equal(expected, tok.Decode(tok.Encode(c.Text, allowSpecial: true)));
            Assert.Equal(expected, tok.Decode(c.Ids));
        }
    }

    [Fact]
    public void Nfc_ComposesEvenUnderInvariantGlobalization()
    {
        Assert.Equal("\u00e9\u00e4", UnicodeNormalizer.Normalize("e\u0301a\u0308", NormalizationForm.FormC));
        Assert.Equal("e\u0301", UnicodeNormalizer.Normalize("\u00e9", NormalizationForm.FormD));
        Assert.Equal("fi2", UnicodeNormalizer.Normalize("\ufb01\u00b2", NormalizationForm.FormKC));
        var qwen = RealTokenizers.Tokenizer("qwen3");
        Assert.Equal(qwen.Encode("caf\u00e9"), qwen.Encode("cafe\u0301"));
    }

    [Fact]
    public void SpecialTokenText_IsPlainTextUnlessAllowed_AndNonSpecialAddedTokensAlwaysMatch()
    {
        var qwen = RealTokenizers.Tokenizer("qwen3");
        Assert.True(qwen.TryGetId("<|im_end|>", out int imEnd));
        Assert.Equal([imEnd], qwen.Encode("<|im_end|>", allowSpecial: true));
        Assert.DoesNotContain(imEnd, qwen.Encode("<|im_end|>"));
        Assert.Equal("<|im_end|>", qwen.Decode(qwen.Encode("<|im_end|>")));
        Assert.True(qwen.TryGetId("<think>", out int think));         // added but not special: always one token
        Assert.False(qwen.IsSpecial(think));
        Assert.Equal([think], qwen.Encode("<think>"));
        Assert.Equal("<think>", qwen.Decode([think], skipSpecial: true));
        Assert.Equal("", qwen.Decode([imEnd], skipSpecial: true));
    }

    [Fact]
    public void EndOfTextAndBos_ComeFromTheFiles()
    {
        var qwen = RealTokenizers.Tokenizer("qwen3");
        var llama = RealTokenizers.Tokenizer("llama3");
        Assert.Equal("<|endoftext|>", qwen.IdToToken(qwen.EndOfTextId));
        Assert.Equal("<|end_of_text|>", llama.IdToToken(llama.EndOfTextId));
        Assert.Equal("<|im_end|>", qwen.EosToken);
        Assert.Empty(qwen.PrefixIds);                                   // Qwen: add_bos_token false, no template
        Assert.Equal("<|begin_of_text|>", llama.BosToken);
    }

    [Fact]
    public void SaveThenLoad_KeepsThePipeline()
    {
        var tok = RealTokenizers.Tokenizer("qwen3");
        string dir = Directory.CreateTempSubdirectory("rlhf-tok-save-").FullName;
        try
        {
            tok.Save(dir);
            var again = BpeTokenizer.Load(dir);
            Assert.True(tok.SameVocabulary(again));
            string text = "Héllo 123456 日本語 it'S <think>x</think>";
            Assert.Equal(tok.Encode(text), again.Encode(text));
            Assert.Equal(tok.ChatTemplateSource, again.ChatTemplateSource);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Show(string s) => "\"" + s.Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t") + "\"";
}
