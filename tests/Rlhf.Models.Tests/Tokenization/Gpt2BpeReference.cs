using System.Text;
using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>
/// Test oracle: GPT-2's encoder.py <c>bpe()</c> transcribed on strings (find the lowest-ranked adjacent pair, merge
/// all its occurrences left to right, repeat), using only a tokenizer's public merges and vocab.
/// </summary>
internal sealed class Gpt2BpeReference
{
    private readonly BpeTokenizer _tokenizer;
    private readonly Dictionary<(string, string), int> _ranks = [];

    public Gpt2BpeReference(BpeTokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        for (int i = 0; i < tokenizer.Merges.Count; i++) _ranks[tokenizer.Merges[i]] = i;
    }

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        foreach (string piece in Gpt2PreTokenizer.Split(text))
        {
            var word = new List<string>();
            foreach (byte b in Encoding.UTF8.GetBytes(piece)) word.Add(ByteLevel.ByteToChar[b].ToString());
            while (word.Count > 1)
            {
                (string, string)? best = null;
                int bestRank = int.MaxValue;
                for (int i = 0; i + 1 < word.Count; i++)
                    if (_ranks.TryGetValue((word[i], word[i + 1]), out int r) && r < bestRank) { bestRank = r; best = (word[i], word[i + 1]); }
                if (best is not { } pair) break;
                var merged = new List<string>();
                for (int i = 0; i < word.Count; i++)
                {
                    if (i + 1 < word.Count && word[i] == pair.Item1 && word[i + 1] == pair.Item2) { merged.Add(pair.Item1 + pair.Item2); i++; }
                    else merged.Add(word[i]);
                }
                word = merged;
            }
            foreach (string token in word)
                ids.Add(_tokenizer.TryGetId(token, out int id) ? id : throw new InvalidOperationException($"no id for {token}"));
        }
        return ids.ToArray();
    }
}
