using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// Byte-level BPE tokenizer, as GPT-2: text → words by <see cref="Gpt2PreTokenizer"/> → each word's UTF-8 bytes as
/// single-byte tokens → merges applied lowest rank first (the rank is the merge's line in merges.txt) until none
/// applies. Every string is encodable (all 256 byte tokens are required in the vocab) and decoding is the exact
/// inverse for valid UTF-16 input; unpaired surrogates encode as U+FFFD.
/// <para>
/// Merging uses a min-heap of (rank, position) over a linked list of symbols, O(n log n) per word, so long words
/// (CJK runs, whitespace runs) stay cheap; results are cached per word. For well-formed merge lists (each merge
/// comes after the merges that build its two parts, as every trained list does) this equals GPT-2's
/// "merge all occurrences of the lowest-ranked pair, repeat" loop.
/// </para>
/// <para>
/// Special tokens (<see cref="EndOfTextToken"/>, optional <see cref="PadToken"/>, others) are vocab entries that BPE
/// never produces. <see cref="Encode(string, bool)"/> treats their text as plain text by default (safe for user data);
/// with allowSpecial it cuts the text at them first (leftmost, longest match) and emits their ids. GPT-2 has no pad
/// token; then <see cref="PadId"/> is the end-of-text id, which is safe when padding positions are masked out.
/// </para>
/// <para>
/// Tokenizers loaded from a Hugging Face <c>tokenizer.json</c> (<see cref="LoadHuggingFace"/>) may add what Qwen2/Qwen3,
/// Llama 3 and SmolLM2 use (<see cref="TokenizerPipeline"/>): a Unicode normalizer (NFC), <c>Split</c> pre-tokenizers
/// with their own regex, <c>ignore_merges</c>, added tokens that are not special (always matched before BPE), a BOS
/// token (<see cref="EncodeWithSpecialTokens"/>) and another end-of-text token. Why not Microsoft.ML.Tokenizers 3.0.0:
/// it has no reader for tokenizer.json (its BpeTokenizer takes a vocab, merges and a hand-built pre-tokenizer), so
/// the file's pipeline would have to be parsed and mapped here anyway, and it has no <c>ignore_merges</c>; this class
/// already had byte-exact GPT-2 BPE with tests, so the pipeline is added to it instead.
/// </para>
/// Thread-safe: all state is immutable except the word cache, which is locked. Not supported: dropout, unknown
/// tokens, byte fallback, added tokens with lstrip/rstrip/single_word.
/// </summary>
public sealed partial class BpeTokenizer
{
    /// <summary>The end-of-text token (GPT-2's id 50256); required in every vocab.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    /// <summary>The optional padding token.</summary>
    public const string PadToken = "<|pad|>";

    private const int MaxCacheEntries = 1 << 18;

    private readonly record struct Merge(int Rank, int Id);

    private readonly string[] _tokens;        // id → vocab string (byte-level characters; specials: their own text)
    private readonly byte[][] _tokenBytes;    // id → the bytes it decodes to
    private readonly bool[] _isSpecial;
    private readonly Dictionary<string, int> _ids;
    private readonly int[] _byteIds = new int[256];
    private readonly (string Left, string Right)[] _merges;
    private readonly Dictionary<long, Merge> _mergeByPair;   // (left << 32 | right) → rank and merged id
    private readonly string[] _specials;      // longest first, so that at one position the longest wins
    private readonly int[] _specialIds;       // parallel to _specials
    private readonly bool[] _isAdded;         // added tokens (special or not): their vocab string is their plain text
    private readonly (string Token, int Id, bool Special)[] _added;   // matched in text before BPE, longest first
    private readonly System.Buffers.SearchValues<char> _addedFirstChars;
    private readonly bool _hasPlainAdded;     // some added token is not special (matched even without allowSpecial)
    private readonly TokenizerPipeline _pipeline;
    private readonly int[] _prefixIds, _suffixIds;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    /// <summary>
    /// A tokenizer from its vocab (<paramref name="vocab"/>[id] = the token's byte-level string, see
    /// <c>bytes_to_unicode</c>; a special token's entry is its plain text), its merges in rank order (each a pair
    /// of vocab strings whose concatenation is also in the vocab) and the vocab entries that are special tokens
    /// (<see cref="EndOfTextToken"/> must be one of them).
    /// </summary>
    /// <exception cref="ArgumentException">The vocab, merges or special tokens are inconsistent; the message says how.</exception>
    public BpeTokenizer(IReadOnlyList<string> vocab, IReadOnlyList<(string Left, string Right)> merges,
        IEnumerable<string> specialTokens)
        : this(vocab, merges, specialTokens, "vocab", i => $"merge {i}", msg => new ArgumentException(msg), TokenizerPipeline.Gpt2)
    {
    }

    // Shared by the public constructor and the file loaders: vocabSource and mergeSource(i) prefix error messages
    // (a file name, file:line), fail makes the exception; pipeline says what surrounds BPE.
    private BpeTokenizer(IReadOnlyList<string> vocab, IReadOnlyList<(string Left, string Right)> merges,
        IEnumerable<string> specialTokens, string vocabSource, Func<int, string> mergeSource, Func<string, Exception> fail,
        TokenizerPipeline pipeline)
    {
        _pipeline = pipeline;
        int n = vocab.Count;
        _tokens = new string[n];
        _tokenBytes = new byte[n][];
        _isSpecial = new bool[n];
        _ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int id = 0; id < n; id++)
        {
            string token = vocab[id] ?? throw fail($"{vocabSource}: id {id} has no token");
            if (token.Length == 0) throw fail($"{vocabSource}: id {id} is the empty string");
            if (!_ids.TryAdd(token, id)) throw fail($"{vocabSource}: token {Quote(token)} has two ids, {_ids[token]} and {id}");
            _tokens[id] = token;
        }

        var specials = new List<(string Token, int Id)>();
        foreach (string s in specialTokens)
        {
            if (s is null || !_ids.TryGetValue(s, out int id))
                throw fail($"{vocabSource}: special token {Quote(s ?? "null")} is not in the vocab");
            if (_isSpecial[id]) continue;
            _isSpecial[id] = true;
            specials.Add((s, id));
        }
        specials.Sort((a, b) => a.Token.Length != b.Token.Length ? b.Token.Length - a.Token.Length : a.Id - b.Id);
        _specials = specials.Select(s => s.Token).ToArray();
        _specialIds = specials.Select(s => s.Id).ToArray();
        EndOfTextId = _ids.TryGetValue(pipeline.EndOfText, out int eot) && _isSpecial[eot]
            ? eot : throw fail($"{vocabSource}: the special token {pipeline.EndOfText} is missing");
        HasPadToken = (_ids.TryGetValue(PadToken, out int pad) && _isSpecial[pad])
            || (pipeline.PadToken is { } configPad && _ids.TryGetValue(configPad, out pad) && pad != EndOfTextId);
        PadId = HasPadToken ? pad : EndOfTextId;

        _isAdded = (bool[])_isSpecial.Clone();
        var added = specials.Select(s => (s.Token, s.Id, Special: true)).ToList();
        foreach (string a in pipeline.AddedTokens)
        {
            if (!_ids.TryGetValue(a, out int id)) throw fail($"{vocabSource}: added token {Quote(a)} is not in the vocab");
            if (_isAdded[id]) continue;
            _isAdded[id] = true;
            added.Add((a, id, false));
        }
        added.Sort((a, b) => a.Token.Length != b.Token.Length ? b.Token.Length - a.Token.Length : a.Id - b.Id);
        _added = added.ToArray();
        _hasPlainAdded = added.Any(a => !a.Special);
        _addedFirstChars = System.Buffers.SearchValues.Create(string.Concat(added.Select(a => a.Token[0]).Distinct()));
        _prefixIds = pipeline.Prefix.Select(SpecialId).ToArray();
        _suffixIds = pipeline.Suffix.Select(SpecialId).ToArray();
        int SpecialId(string t) => _ids.TryGetValue(t, out int id) && _isAdded[id]
            ? id : throw fail($"{vocabSource}: the token {Quote(t)} added around texts is not an added token of the vocab");

        Array.Fill(_byteIds, -1);
        for (int id = 0; id < n; id++)
        {
            string token = _tokens[id];
            if (_isAdded[id]) { _tokenBytes[id] = Encoding.UTF8.GetBytes(token); continue; }
            _tokenBytes[id] = ByteLevel.TryDecode(token) ?? throw fail(
                $"{vocabSource}: token {Quote(token)} (id {id}) is not a special token but has a character that is " +
                $"not byte-level (U+{(int)token.First(c => !ByteLevel.IsByteChar(c)):X4})");
            if (token.Length == 1) _byteIds[_tokenBytes[id][0]] = id;
        }
        int missing = Array.IndexOf(_byteIds, -1);
        if (missing >= 0)
            throw fail($"{vocabSource}: the single-byte token for byte 0x{missing:X2} ({Quote(ByteLevel.ByteToChar[missing].ToString())}) is missing; byte-level BPE needs all 256");

        _merges = new (string, string)[merges.Count];
        _mergeByPair = new Dictionary<long, Merge>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            int l = MergePart(left), r = MergePart(right);
            if (!_ids.TryGetValue(left + right, out int merged) || _isAdded[merged])
                throw fail($"{mergeSource(rank)}: merge {Quote(left)} {Quote(right)} makes {Quote(left + right)}, which is not a (non-special) vocab token");
            if (!_mergeByPair.TryAdd(Key(l, r), new Merge(rank, merged)))
                throw fail($"{mergeSource(rank)}: merge {Quote(left)} {Quote(right)} appears twice");
            _merges[rank] = (left, right);

            int MergePart(string part) => part is not null && _ids.TryGetValue(part, out int id) && !_isAdded[id]
                ? id : throw fail($"{mergeSource(rank)}: merge part {Quote(part ?? "null")} is not a (non-special) vocab token");
        }
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of tokens, special ones included; ids are 0..VocabSize-1.</summary>
    public int VocabSize => _tokens.Length;

    /// <summary>Id of <see cref="EndOfTextToken"/>.</summary>
    public int EndOfTextId { get; }

    /// <summary>Id of <see cref="PadToken"/> when the vocab has it as a special token, else <see cref="EndOfTextId"/>.</summary>
    public int PadId { get; }

    /// <summary>Whether <see cref="PadToken"/> is a special token of this vocab.</summary>
    public bool HasPadToken { get; }

    /// <summary>The merges in rank order, as pairs of vocab strings.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => _merges;

    /// <summary>The special tokens' texts, longest first.</summary>
    public IReadOnlyList<string> SpecialTokens => _specials;

    /// <summary>Ids put before a text by <see cref="EncodeWithSpecialTokens"/> (BOS for Llama 3; none for GPT-2, Qwen).</summary>
    public IReadOnlyList<int> PrefixIds => _prefixIds;

    /// <summary>Ids put after a text by <see cref="EncodeWithSpecialTokens"/> (EOS where the model adds one; usually none).</summary>
    public IReadOnlyList<int> SuffixIds => _suffixIds;

    /// <summary>tokenizer_config.json's bos_token / eos_token, where the tokenizer was loaded with one.</summary>
    public string? BosToken => _pipeline.BosToken;

    /// <inheritdoc cref="BosToken"/>
    public string? EosToken => _pipeline.EosToken;

    /// <summary>tokenizer_config.json's chat_template (Jinja source), where set; <see cref="ChatFormat"/> renders it.</summary>
    public string? ChatTemplateSource => _pipeline.ChatTemplate;

    /// <summary>The file <see cref="ChatTemplateSource"/> was read from (tokenizer_config.json or chat_template.jinja).</summary>
    public string? ChatTemplatePath => _pipeline.ChatTemplatePath;

    /// <summary>Whether this tokenizer came from a Hugging Face file with a pipeline other than GPT-2's.</summary>
    internal bool HasHuggingFacePipeline => _pipeline.TokenizerJson is not null;

    /// <summary>
    /// True when <paramref name="other"/> maps every text to the same ids: the same vocab strings at the same ids, the
    /// same merges in the same order and the same special tokens. Models trained with different tokenizers must not
    /// exchange token ids (a policy and its reward model, ensemble members).
    /// </summary>
    public bool SameVocabulary(BpeTokenizer other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(this, other)
            || (_tokens.AsSpan().SequenceEqual(other._tokens) && _merges.SequenceEqual(other._merges)
                && _specials.SequenceEqual(other._specials) && _pipeline.TokenizerJson == other._pipeline.TokenizerJson);
    }

    /// <summary>The vocab string of <paramref name="id"/> (byte-level characters, e.g. <c>"Ġworld"</c>; a special token's text).</summary>
    public string IdToToken(int id) => _tokens[CheckId(id)];

    /// <summary>The id of a vocab string, if it is one.</summary>
    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>Whether <paramref name="id"/> is an added token (special or not): one that BPE never produces.</summary>
    public bool IsAdded(int id) => _isAdded[CheckId(id)];

    /// <summary>Whether <paramref name="id"/> is a special token.</summary>
    public bool IsSpecial(int id) => _isSpecial[CheckId(id)];

    /// <summary>The bytes <paramref name="id"/> decodes to (for streaming decoders that join bytes themselves).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => _tokenBytes[CheckId(id)];

    /// <summary>
    /// The ids of <paramref name="text"/>. With <paramref name="allowSpecial"/> false (the default) special-token
    /// strings in the text are encoded as ordinary text; with true they become their special ids.
    /// </summary>
    public int[] Encode(string text, bool allowSpecial = false)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        EncodeTo(text, ids, allowSpecial);
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="output"/>; see <see cref="Encode(string, bool)"/>.</summary>
    public void EncodeTo(ReadOnlySpan<char> text, List<int> output, bool allowSpecial = false)
    {
        if (!allowSpecial && !_hasPlainAdded) { EncodeOrdinary(text, output); return; }
        // Leftmost occurrence of an added token (special ones only with allowSpecial); _added is longest first, so
        // at one position the longest wins (huggingface/tokenizers: leftmost-longest Aho-Corasick).
        int from = 0;
        while (from < text.Length)
        {
            int i = text[from..].IndexOfAny(_addedFirstChars);
            if (i < 0) break;
            int at = from + i, which = -1;
            ReadOnlySpan<char> rest = text[at..];
            for (int a = 0; a < _added.Length && which < 0; a++)
                if ((allowSpecial || !_added[a].Special) && rest.StartsWith(_added[a].Token, StringComparison.Ordinal)) which = a;
            if (which < 0) { from = at + 1; continue; }
            EncodeOrdinary(text[..at], output);
            output.Add(_added[which].Id);
            text = text[(at + _added[which].Token.Length)..];
            from = 0;
        }
        EncodeOrdinary(text, output);
    }

    /// <summary>
    /// The ids the model sees for <paramref name="text"/> as Hugging Face's <c>encode(text)</c> gives them: the
    /// tokenizer's prefix (BOS where the model uses one), the text with special tokens in it recognised, the suffix.
    /// </summary>
    public int[] EncodeWithSpecialTokens(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        ids.AddRange(_prefixIds);
        EncodeTo(text, ids, allowSpecial: true);
        ids.AddRange(_suffixIds);
        return ids.ToArray();
    }

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty) return;
        if (_pipeline.Normalizations.Count > 0 || _pipeline.PreTokenizers is not null)
        {
            string s = text.ToString();
            foreach (NormalizationForm form in _pipeline.Normalizations) s = UnicodeNormalizer.Normalize(s, form);
            if (_pipeline.PreTokenizers is null) EncodeGpt2Words(s, output);
            else foreach (string piece in PreTokenizer.Apply(_pipeline.PreTokenizers, s)) EncodeCached(piece, output);
            return;
        }
        EncodeGpt2Words(text, output);
    }

    private void EncodeGpt2Words(ReadOnlySpan<char> text, List<int> output)
    {
        foreach (ValueMatch m in Gpt2PreTokenizer.Regex().EnumerateMatches(text)) EncodeCached(text.Slice(m.Index, m.Length), output);
    }

    private void EncodeCached(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty) return;
        {
            int[]? ids;
            lock (_cache) _cacheBySpan.TryGetValue(word, out ids);
            if (ids is null)
            {
                ids = EncodeWord(word);
                lock (_cache)
                {
                    if (_cache.Count >= MaxCacheEntries) _cache.Clear();   // bound memory on endless streams of new words
                    _cacheBySpan.TryAdd(word, ids);
                }
            }
            output.AddRange(ids);
        }
    }

    // One pre-tokenized word: UTF-8 bytes → byte tokens → merges.
    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        int max = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[]? rented = null;
        Span<byte> bytes = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int n = Encoding.UTF8.GetBytes(word, bytes);
        if (_pipeline.IgnoreMerges && _ids.TryGetValue(ByteLevel.Encode(bytes[..n]), out int whole) && !_isAdded[whole])
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
            return [whole];                                    // ignore_merges: the piece is a token as it stands
        }
        var symbols = new int[n];
        for (int i = 0; i < n; i++) symbols[i] = _byteIds[bytes[i]];
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return ApplyMerges(symbols);
    }

    /// <summary>
    /// Applies the merges to one word's symbols: repeatedly merge the adjacent pair of lowest rank (leftmost on ties).
    /// Symbols form a linked list over their start positions; the heap holds (rank, left position) and stale entries
    /// (a side already merged away) are skipped when popped.
    /// </summary>
    private int[] ApplyMerges(int[] symbols)
    {
        int n = symbols.Length;
        if (n < 2) return symbols;
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        var heap = new PriorityQueue<int, long>(n);
        for (int i = 0; i + 1 < n; i++) Push(i);
        int alive = n;
        while (heap.TryDequeue(out int i, out long priority))
        {
            int j = next[i];
            if (symbols[i] < 0 || j < 0 || !_mergeByPair.TryGetValue(Key(symbols[i], symbols[j]), out Merge m)
                || m.Rank != (int)(priority >> 32))
                continue;                                      // stale: the pair at i changed since it was pushed
            symbols[i] = m.Id;
            symbols[j] = -1;
            int k = next[j];
            next[i] = k;
            if (k >= 0) prev[k] = i;
            alive--;
            if (prev[i] >= 0) Push(prev[i]);
            if (k >= 0) Push(i);
        }
        var result = new int[alive];
        for (int i = 0, w = 0; i >= 0; i = next[i]) result[w++] = symbols[i];   // position 0 is never merged away
        return result;

        void Push(int i)
        {
            if (_mergeByPair.TryGetValue(Key(symbols[i], symbols[next[i]]), out Merge m))
                heap.Enqueue(i, (long)m.Rank << 32 | (uint)i);
        }
    }

    private int CheckId(int id) => (uint)id < (uint)_tokens.Length
        ? id : throw new ArgumentOutOfRangeException(nameof(id), $"Token id {id} is outside the vocab (size {_tokens.Length}).");

    private static long Key(int left, int right) => (long)left << 32 | (uint)right;

    private static string Quote(string s) => "\"" + s.Replace("\\", @"\\").Replace("\"", "\\\"") + "\"";
}
