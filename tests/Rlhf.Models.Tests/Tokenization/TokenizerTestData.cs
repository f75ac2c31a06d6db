using System.Text;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>Shared inputs: a generated corpus, a tokenizer trained on it once, fuzz strings, the fixture paths.</summary>
internal static class TokenizerTestData
{
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "is", "that", "it", "was", "for", "on", "are", "as", "with", "his", "they",
        "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but", "not", "what", "all", "were",
        "we", "when", "your", "can", "said", "there", "use", "an", "each", "which", "she", "do", "how", "their",
        "if", "will", "up", "other", "about", "out", "many", "then", "them", "these", "so", "some", "her", "would",
        "make", "like", "him", "into", "time", "has", "look", "two", "more", "write", "go", "see", "number", "no",
        "way", "could", "people", "my", "than", "first", "water", "been", "call", "who", "oil", "its", "now",
        "find", "long", "down", "day", "did", "get", "come", "made", "may", "part", "model", "reward", "policy",
        "learning", "human", "feedback", "training", "token", "café", "naïve", "résumé", "Über", "日本語", "中文",
    ];

    private static readonly string[] Punctuation = [".", ",", "!", "?", ";", ":", "...", " -", "'s", "'t", "\"", "()"];

    /// <summary>~<paramref name="chars"/> characters of English-like text: sentences, numbers, newlines, some non-ASCII.</summary>
    public static string Corpus(int chars, ulong seed)
    {
        var rng = new Rng(seed);
        var sb = new StringBuilder(chars + 100);
        while (sb.Length < chars)
        {
            int n = 3 + rng.NextInt(12);
            for (int i = 0; i < n; i++)
            {
                string w = Words[rng.NextInt(Words.Length)];
                if (i == 0) w = char.ToUpperInvariant(w[0]) + w[1..];
                if (i > 0) sb.Append(' ');
                sb.Append(w);
                if (rng.NextInt(8) == 0) sb.Append(Punctuation[rng.NextInt(Punctuation.Length)]);
                if (rng.NextInt(20) == 0) sb.Append(' ').Append(rng.NextInt(3000));
            }
            sb.Append(rng.NextInt(6) == 0 ? ".\n\n" : ". ");
        }
        return sb.ToString();
    }

    private static readonly Lazy<BpeTokenizer> _trained = new(() =>
        BpeTrainer.Train(Corpus(60_000, seed: 1), vocabSize: 700, [BpeTokenizer.PadToken]));

    /// <summary>A tokenizer trained on <see cref="Corpus"/>(60k chars, seed 1) with vocab 700 and a pad token.</summary>
    public static BpeTokenizer Trained => _trained.Value;

    /// <summary>
    /// Strings of random Unicode scalar values (no surrogates): ASCII incl. controls, Latin-1, any BMP, any astral,
    /// plus spaces, newlines and ZWJ so that whitespace rules and joiners get exercised.
    /// </summary>
    public static string RandomString(Rng rng, int maxLength)
    {
        int n = rng.NextInt(maxLength + 1);
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            int cp = rng.NextInt(6) switch
            {
                0 => rng.NextInt(128),
                1 => 128 + rng.NextInt(128),
                2 => " \n\t\r\u200D"[rng.NextInt(5)],
                3 => rng.NextInt(0xD800),
                4 => 0xE000 + rng.NextInt(0x10000 - 0xE000),
                _ => 0x10000 + rng.NextInt(0x110000 - 0x10000),
            };
            sb.Append(char.ConvertFromUtf32(cp));
        }
        return sb.ToString();
    }

    /// <summary>The hand-built GPT-2-format fixture: GPT-2's 256 byte tokens (GPT-2 ids), 11 merges, end-of-text.</summary>
    public static BpeTokenizer Tiny() => BpeTokenizer.LoadGpt2(TinyVocab, TinyMerges);

    public static string TinyVocab => Path.Combine(AppContext.BaseDirectory, "Tokenization", "Fixtures", "tiny", "vocab.json");

    public static string TinyMerges => Path.Combine(AppContext.BaseDirectory, "Tokenization", "Fixtures", "tiny", "merges.txt");
}
