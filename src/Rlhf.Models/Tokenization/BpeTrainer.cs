using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// Trains a byte-level BPE vocab (GPT-2 style) from text.
/// <para>
/// 1. Texts are cut at special-token strings (so a corpus joined with <c>&lt;|endoftext|&gt;</c> does not learn
/// pieces of it), pre-tokenized with <see cref="Gpt2PreTokenizer"/>, and identical words are counted once with their
/// frequency. 2. Each distinct word starts as its UTF-8 bytes (ids 0..255 = byte values). 3. Repeatedly the most
/// frequent adjacent pair (counted over words × frequency) is merged into a new token, until the vocab is full or
/// no pair is left (then the vocab is smaller than asked).
/// </para>
/// <para>
/// Ties go to the lexicographically smallest pair of ids (left id, then right id), so training is deterministic
/// and independent of input order beyond the texts themselves. Counts are updated incrementally: an index
/// pair → words lists the words that may contain each pair, and only those words are rewritten when the pair is
/// merged. The best pair comes from a max-heap with lazy updates: counts of old pairs only fall, so a popped entry
/// whose count is stale is pushed back with its true count; pairs whose count rose (the new neighbours of the merged
/// token) are pushed after each step.
/// </para>
/// Vocab layout: 0..255 single bytes, then one token per merge in merge order, then the special tokens
/// (<see cref="BpeTokenizer.EndOfTextToken"/> first). If a merge yields a string that is already a token (rare, two
/// merge paths to the same bytes), the existing id is reused and the vocab grows by one less.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Trains on one text; see <see cref="Train(IEnumerable{string}, int, IEnumerable{string}?)"/>.</summary>
    public static BpeTokenizer Train(string text, int vocabSize, IEnumerable<string>? specialTokens = null) =>
        Train([text], vocabSize, specialTokens);

    /// <summary>
    /// Trains a tokenizer of at most <paramref name="vocabSize"/> tokens (specials included) on
    /// <paramref name="texts"/> (documents; no merge spans two of them). The special tokens are
    /// <see cref="BpeTokenizer.EndOfTextToken"/> plus <paramref name="specialTokens"/> (e.g.
    /// <see cref="BpeTokenizer.PadToken"/>).
    /// </summary>
    public static BpeTokenizer Train(IEnumerable<string> texts, int vocabSize, IEnumerable<string>? specialTokens = null)
    {
        var specials = new List<string> { BpeTokenizer.EndOfTextToken };
        foreach (string s in specialTokens ?? [])
        {
            if (string.IsNullOrEmpty(s)) throw new ArgumentException("BpeTrainer: a special token is empty.", nameof(specialTokens));
            if (!specials.Contains(s)) specials.Add(s);
        }
        int maxMerges = vocabSize - 256 - specials.Count;
        if (maxMerges < 0)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), $"BpeTrainer: vocabSize {vocabSize} is below 256 bytes + {specials.Count} special tokens.");

        // Words and their frequencies.
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = wordCounts.GetAlternateLookup<ReadOnlySpan<char>>();
        Regex regex = Gpt2PreTokenizer.Regex();
        foreach (string text in texts)
        {
            ReadOnlySpan<char> rest = text;
            while (!rest.IsEmpty)
            {
                int at = rest.Length, skip = 0;
                foreach (string s in specials)
                {
                    int i = rest.IndexOf(s, StringComparison.Ordinal);
                    if (i >= 0 && (i < at || (i == at && s.Length > skip))) { at = i; skip = s.Length; }   // leftmost, longest
                }
                ReadOnlySpan<char> piece = rest[..at];
                foreach (ValueMatch m in regex.EnumerateMatches(piece))
                    CollectionsMarshal.GetValueRefOrAddDefault(lookup, piece.Slice(m.Index, m.Length), out _)++;
                rest = rest[Math.Min(rest.Length, at + skip)..];
            }
        }

        var words = new int[wordCounts.Count][];
        var freqs = new long[wordCounts.Count];
        int w0 = 0;
        foreach (var (word, count) in wordCounts)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(word);
            words[w0] = Array.ConvertAll(bytes, b => (int)b);
            freqs[w0++] = count;
        }

        var tokens = new List<string>(256 + maxMerges);
        var tokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            tokens.Add(ByteLevel.ByteToChar[b].ToString());
            tokenIds[tokens[b]] = b;
        }
        var merges = new List<(string, string)>(maxMerges);
        var state = new PairState(words, freqs);
        while (tokens.Count < 256 + maxMerges && state.PopBest(out int left, out int right))
        {
            string merged = tokens[left] + tokens[right];
            if (!tokenIds.TryGetValue(merged, out int id))
            {
                id = tokens.Count;
                tokens.Add(merged);
                tokenIds[merged] = id;
            }
            merges.Add((tokens[left], tokens[right]));
            state.Merge(left, right, id);
        }
        tokens.AddRange(specials);
        return new BpeTokenizer(tokens, merges, specials);
    }

    /// <summary>Pair counts over the words, the pair → words index, and the lazy max-heap.</summary>
    private sealed class PairState
    {
        private readonly int[][] _words;          // symbols of each distinct word; merged in place (length shrinks)
        private readonly int[] _lengths;
        private readonly long[] _freqs;
        private readonly Dictionary<long, long> _counts = [];
        private readonly Dictionary<long, List<int>> _where = [];   // may list words that no longer hold the pair
        private readonly PriorityQueue<long, (long Count, long Pair)> _heap = new(HeapOrder.Instance);
        private readonly List<long> _risen = [];

        public PairState(int[][] words, long[] freqs)
        {
            _words = words;
            _freqs = freqs;
            _lengths = Array.ConvertAll(words, w => w.Length);
            for (int w = 0; w < words.Length; w++) AddPairs(w, 1, -1);
            foreach (var (pair, count) in _counts) _heap.Enqueue(pair, (count, pair));
        }

        /// <summary>The most frequent pair (smallest ids on ties); false when no pair is left.</summary>
        public bool PopBest(out int left, out int right)
        {
            while (_heap.TryDequeue(out long pair, out var entry))
            {
                long count = _counts.GetValueOrDefault(pair);
                if (count == entry.Count && count > 0)
                {
                    (left, right) = ((int)(pair >> 32), (int)pair);
                    return true;
                }
                if (count > 0) _heap.Enqueue(pair, (count, pair));   // stale upper bound: retry with the true count
            }
            left = right = -1;
            return false;
        }

        /// <summary>Replaces every (left, right) by <paramref name="id"/>, touching only the words that hold it.</summary>
        public void Merge(int left, int right, int id)
        {
            long key = Key(left, right);
            if (!_where.Remove(key, out List<int>? candidates)) return;
            foreach (int w in candidates)
            {
                int[] s = _words[w];
                int n = _lengths[w];
                bool found = false;
                for (int i = 0; i + 1 < n && !found; i++) found = s[i] == left && s[i + 1] == right;
                if (!found) continue;                       // stale index entry
                AddPairs(w, -1, -1);                         // remove the old word's pairs …
                int o = 0;
                for (int i = 0; i < n; i++)
                {
                    if (i + 1 < n && s[i] == left && s[i + 1] == right) { s[o++] = id; i++; }
                    else s[o++] = s[i];
                }
                _lengths[w] = o;
                AddPairs(w, 1, id);                          // … and add the new word's (net change: pairs at the merges)
            }
            _counts.Remove(key);
            _risen.Sort();
            for (int i = 0; i < _risen.Count; i++)
            {
                if (i > 0 && _risen[i] == _risen[i - 1]) continue;
                long count = _counts[_risen[i]];
                if (count > 0) _heap.Enqueue(_risen[i], (count, _risen[i]));
            }
            _risen.Clear();
        }

        // Adds sign × frequency for each adjacent pair of word w. With sign +1 every pair is indexed to w; those with
        // the new token (id ≥ 0) are the ones whose count rose, to be pushed on the heap.
        private void AddPairs(int w, int sign, int id)
        {
            int[] s = _words[w];
            long f = sign * _freqs[w];
            for (int i = 0; i + 1 < _lengths[w]; i++)
            {
                long pair = Key(s[i], s[i + 1]);
                CollectionsMarshal.GetValueRefOrAddDefault(_counts, pair, out _) += f;
                if (sign < 0) continue;
                bool isNew = s[i] == id || s[i + 1] == id;
                if (id >= 0 && !isNew) continue;             // unchanged pair: already indexed to w
                ref List<int>? list = ref CollectionsMarshal.GetValueRefOrAddDefault(_where, pair, out _);
                list ??= [];
                if (list.Count == 0 || list[^1] != w) list.Add(w);
                if (isNew) _risen.Add(pair);
            }
        }

        private static long Key(int left, int right) => (long)left << 32 | (uint)right;
    }

    /// <summary>Heap order: larger count first, then smaller pair key (= left id, then right id).</summary>
    private sealed class HeapOrder : IComparer<(long Count, long Pair)>
    {
        public static readonly HeapOrder Instance = new();

        public int Compare((long Count, long Pair) a, (long Count, long Pair) b) =>
            a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Pair.CompareTo(b.Pair);
    }
}
