using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>The tokenizer.json pre-tokenizer stages on small inputs with known answers.</summary>
public sealed class PreTokenizerTests
{
    private static List<string> Split(PreTokenizer stage, string text) => PreTokenizer.Apply([stage], text);

    // huggingface/tokenizers' own example for SplitDelimiterBehavior: "the-final--countdown" split on "-"
    [Theory]
    [InlineData("Removed", "the|final|countdown")]
    [InlineData("Isolated", "the|-|final|-|-|countdown")]
    [InlineData("MergedWithPrevious", "the-|final-|-|countdown")]
    [InlineData("MergedWithNext", "the|-final|-|-countdown")]
    [InlineData("Contiguous", "the|-|final|--|countdown")]
    public void Split_Behaviors_AsHuggingFaceDocumentsThem(string behavior, string expected)
    {
        var split = new RegexSplitPreTokenizer(RegexSplitPreTokenizer.Compile("-"), Enum.Parse<SplitBehavior>(behavior), invert: false);
        Assert.Equal(expected.Split('|'), Split(split, "the-final--countdown"));
    }

    [Fact]
    public void Split_Invert_TreatsTheTextBetweenMatchesAsTheDelimiter()
    {
        var split = new RegexSplitPreTokenizer(RegexSplitPreTokenizer.Compile(@"\d+"), SplitBehavior.Removed, invert: true);
        Assert.Equal(["12", "345"], Split(split, "ab12cd345"));
    }

    [Fact]
    public void Split_CountsAstralCodePointsAsTheirUnicodeClass()
    {
        // Llama 3's digit rule: at most three numbers per piece, counted in code points (𝟎 is one number, two UTF-16 units)
        var digits = new RegexSplitPreTokenizer(RegexSplitPreTokenizer.Compile(@"\p{N}{1,3}"), SplitBehavior.Isolated, invert: false);
        Assert.Equal(["𝟎𝟏𝟐", "𝟑"], Split(digits, "𝟎𝟏𝟐𝟑"));
        var letters = new RegexSplitPreTokenizer(RegexSplitPreTokenizer.Compile(@"\p{L}+"), SplitBehavior.Isolated, invert: false);
        Assert.Equal(["a𠀀b", " 😀"], Split(letters, "a𠀀b 😀"));   // the emoji is not a letter: it stays in the gap
        Assert.Equal("a0¤", RegexSplitPreTokenizer.Shadow("𠀀𝟎😀", out int[]? map));
        Assert.Equal([0, 2, 4, 6], map!);
    }

    [Fact]
    public void Split_CaseInsensitiveContractions_DoNotDependOnCulture()
    {
        var split = new RegexSplitPreTokenizer(RegexSplitPreTokenizer.Compile(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|\p{L}+"), SplitBehavior.Isolated, invert: false);
        Assert.Equal(["IT", "'S", " ", "we", "'Re"], Split(split, "IT'S we'Re"));
    }

    [Fact]
    public void ByteLevel_AddsAPrefixSpacePerPiece_AndSplitsByGpt2Rules()
    {
        Assert.Equal([" hello", " world"], Split(new ByteLevelPreTokenizer(addPrefixSpace: true, useRegex: true), "hello world"));
        Assert.Equal([" x"], Split(new ByteLevelPreTokenizer(addPrefixSpace: true, useRegex: false), " x"));
        Assert.Equal(["a b"], Split(new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false), "a b"));
        Assert.Equal(Gpt2PreTokenizer.Split("it's  2024!\n"), Split(new ByteLevelPreTokenizer(false, true), "it's  2024!\n"));
    }

    [Fact]
    public void IgnoreMerges_EmitsAPieceThatIsAVocabTokenAsItStands()
    {
        // vocab has "abc" but no merge builds it: BPE gives "ab" + "c", ignore_merges gives "abc"
        var vocab = Enumerable.Range(0, 256).Select(b => ByteLevel.ByteToChar[b].ToString()).Concat(["ab", "abc", "<|endoftext|>"]).ToList();
        var plain = new BpeTokenizer(vocab, [("a", "b")], ["<|endoftext|>"]);
        Assert.Equal([256, 'c'], plain.Encode("abc"));
        string dir = Directory.CreateTempSubdirectory("rlhf-ignore-merges-").FullName;
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            plain.SaveHuggingFace(path);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            json["model"]!["ignore_merges"] = true;
            File.WriteAllText(path, json.ToJsonString());
            var ignoring = BpeTokenizer.Load(dir);
            Assert.Equal([257], ignoring.Encode("abc"));
            Assert.Equal([256, 'd'], ignoring.Encode("abd"));           // not a whole token: merges as usual
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
