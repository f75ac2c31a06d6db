using System.Text;
using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

public class BpeTrainerTests
{
    [Fact]
    public void Train_HandCorpus_GivesTheMergesWorkedOutByHand()
    {
        // Words: "ab"×1, " ab"×2, " cd"×1. Counts: (a,b)=3 → "ab"; then (Ġ,ab)=2; then (Ġ,c)=(c,d)=1, a tie that the
        // smaller pair of ids wins: (32,99) < (99,100) → "Ġc"; then (Ġc,d). No pair is left: the vocab stops short.
        var tok = BpeTrainer.Train("ab ab ab cd", vocabSize: 1000);
        Assert.Equal([("a", "b"), ("Ġ", "ab"), ("Ġ", "c"), ("Ġc", "d")], tok.Merges);
        Assert.Equal(256 + 4 + 1, tok.VocabSize);
        Assert.Equal(260, tok.EndOfTextId);
        Assert.Equal("ab", tok.IdToToken(256));
        Assert.Equal([256, 257, 257, 259], tok.Encode("ab ab ab cd"));
    }

    [Fact]
    public void Train_TiesGoToTheSmallestPairOfIds()
    {
        // "ba" and " ab": every pair occurs once. (32,97) "Ġ a" is smallest; then (98,97) "b a" beats (256,98).
        var tok = BpeTrainer.Train(["ba ab"], vocabSize: 1000);
        Assert.Equal([("Ġ", "a"), ("b", "a"), ("Ġa", "b")], tok.Merges);
    }

    [Fact]
    public void Train_CountsWordFrequencies_AcrossTexts()
    {
        // "xy" appears 3 times across documents, "zw" twice in one: (x,y) is merged first.
        var tok = BpeTrainer.Train(["zw zw", "xy", "xy", "xy"], vocabSize: 258);
        Assert.Equal(("x", "y"), tok.Merges[0]);
        Assert.Single(tok.Merges);
    }

    [Fact]
    public void Train_NeverLearnsPiecesOfSpecialTokens()
    {
        var tok = BpeTrainer.Train(string.Join("<|endoftext|>", Enumerable.Repeat("hello", 50)) + "<|pad|>", 300, [BpeTokenizer.PadToken]);
        Assert.DoesNotContain(tok.Merges, m => (m.Left + m.Right).IndexOfAny(['<', '|', '>']) >= 0);
        Assert.Equal([tok.EndOfTextId], tok.Encode("<|endoftext|>", allowSpecial: true));
    }

    [Fact]
    public void Train_FillsTheVocab_SpecialsLast()
    {
        var tok = BpeTrainer.Train(TokenizerTestData.Corpus(30_000, seed: 2), 512, [BpeTokenizer.PadToken]);
        Assert.Equal(512, tok.VocabSize);
        Assert.Equal(510, tok.EndOfTextId);
        Assert.Equal(511, tok.PadId);
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train("abc", 256));
    }

    [Fact]
    public void Train_IsDeterministic_AndIndependentOfDocumentOrder()
    {
        string[] docs = Enumerable.Range(0, 8).Select(i => TokenizerTestData.Corpus(3_000, (ulong)(10 + i))).ToArray();
        var a = BpeTrainer.Train(docs, 600);
        var b = BpeTrainer.Train(docs, 600);
        var c = BpeTrainer.Train(docs.Reverse(), 600);
        Assert.Equal(a.Merges, b.Merges);
        Assert.Equal(a.Merges, c.Merges);
    }

    [Fact]
    public void Train_IncrementalCounts_MatchRecountingFromScratch()
    {
        // Mixed-script corpus so merges hit multi-byte characters, repeats ("aaaa") and overlapping pairs.
        string corpus = TokenizerTestData.Corpus(8_000, seed: 4) + " aaaa aaaaa abababab ababa 日本日本日本 ";
        var tok = BpeTrainer.Train(corpus, 256 + 300 + 1);
        Assert.Equal(NaiveMerges(corpus, 300), tok.Merges);
    }

    // Independent oracle: recount every pair over all words before every merge.
    private static List<(string, string)> NaiveMerges(string text, int count)
    {
        var freq = new Dictionary<string, int>();
        foreach (string w in Gpt2PreTokenizer.Split(text)) freq[w] = freq.GetValueOrDefault(w) + 1;
        var words = freq.Select(p => (Symbols: Encoding.UTF8.GetBytes(p.Key).Select(b => (int)b).ToList(), Freq: p.Value)).ToList();
        var names = Enumerable.Range(0, 256).Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < count)
        {
            var counts = new Dictionary<(int, int), long>();
            foreach (var (s, f) in words)
                for (int i = 0; i + 1 < s.Count; i++) counts[(s[i], s[i + 1])] = counts.GetValueOrDefault((s[i], s[i + 1])) + f;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).First().Key;
            int id = names.Count;
            names.Add(names[best.Item1] + names[best.Item2]);
            merges.Add((names[best.Item1], names[best.Item2]));
            foreach (var (s, _) in words)
                for (int i = 0; i + 1 < s.Count; i++)
                    if (s[i] == best.Item1 && s[i + 1] == best.Item2) { s[i] = id; s.RemoveAt(i + 1); }
        }
        return merges;
    }
}
