namespace Rlhf.Training.Data;

/// <summary>
/// A pretraining corpus as one token stream: documents concatenated, each followed by the end-of-text id, so the
/// model learns where documents end and windows may straddle document boundaries (GPT-2 style packing, no padding).
/// Immutable; <see cref="Split"/> returns views without copying. Token ids are not checked against a vocabulary
/// here (the model's embedding lookup does that). Limited to <see cref="Array.MaxLength"/> tokens.
/// </summary>
public sealed class TokenDataset
{
    private readonly ReadOnlyMemory<int> _tokens;

    /// <summary>A dataset over <paramref name="tokens"/> (not copied: do not mutate the array afterwards).</summary>
    public TokenDataset(ReadOnlyMemory<int> tokens) => _tokens = tokens;

    /// <summary>The token stream.</summary>
    public ReadOnlySpan<int> Tokens => _tokens.Span;

    /// <summary>Number of tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary>
    /// Reads UTF-8 text files in the given order, encodes each document with <paramref name="encode"/> and appends
    /// <paramref name="eotId"/> after it. Without <paramref name="documentSeparator"/> each file is one document; with
    /// it (e.g. <c>"&lt;|endoftext|&gt;"</c>) files are split on it first. Whitespace-only documents are skipped.
    /// Whole files are read into memory: fine for corpora of a few GB, not streaming.
    /// </summary>
    public static TokenDataset FromTextFiles(IEnumerable<string> paths, Func<string, int[]> encode, int eotId, string? documentSeparator = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentOutOfRangeException.ThrowIfNegative(eotId);
        if (documentSeparator is { Length: 0 }) throw new ArgumentException("FromTextFiles: document separator must not be empty", nameof(documentSeparator));
        var tokens = new List<int>();
        foreach (string path in paths)
        {
            string text = File.ReadAllText(path);
            if (documentSeparator is null)
            {
                AddDocument(text, path);
                continue;
            }
            int start = 0;
            while (start <= text.Length)
            {
                int end = text.IndexOf(documentSeparator, start, StringComparison.Ordinal);
                if (end < 0) end = text.Length;
                AddDocument(text[start..end], path);
                start = end + documentSeparator.Length;
            }
        }
        return new TokenDataset(tokens.ToArray());

        void AddDocument(string doc, string path)
        {
            if (string.IsNullOrWhiteSpace(doc)) return;
            int[] ids = encode(doc) ?? throw new InvalidOperationException($"FromTextFiles: encoder returned null for a document of {path}");
            foreach (int id in ids)
                if (id < 0) throw new InvalidOperationException($"FromTextFiles: encoder returned negative id {id} for a document of {path}");
            tokens.AddRange(ids);
            tokens.Add(eotId);
        }
    }

    /// <summary>
    /// Deterministic train/validation split: the last ⌈<paramref name="valFraction"/>·Count⌉ tokens are validation,
    /// the rest training (no shuffling, so the same corpus always splits the same way; a document may be cut at the
    /// boundary). <paramref name="valFraction"/> in [0, 1).
    /// </summary>
    public (TokenDataset Train, TokenDataset Val) Split(double valFraction)
    {
        if (!(valFraction >= 0 && valFraction < 1)) throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, "Split: validation fraction must be in [0, 1)");
        int val = (int)Math.Ceiling(valFraction * Count);
        return (new TokenDataset(_tokens[..(Count - val)]), new TokenDataset(_tokens[(Count - val)..]));
    }

    /// <summary>Number of non-overlapping (T+1)-token windows <see cref="SequentialBatches"/> yields: ⌊(Count − 1) / T⌋.</summary>
    public int WindowCount(int seqLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seqLen);
        return Count == 0 ? 0 : (Count - 1) / seqLen;
    }

    /// <summary>
    /// Evaluation batches: consecutive windows whose inputs do not overlap (window w covers tokens
    /// [s + w·T, s + (w+1)·T], targets = inputs shifted by one), aligned so the last window ends at the last token;
    /// the (Count − 1) mod T tokens left over are dropped from the start. Batches hold <paramref name="batchSize"/>
    /// windows except possibly the last. Every call yields the same batches. Throws when not even one window fits.
    /// </summary>
    public IEnumerable<TokenBatch> SequentialBatches(int batchSize, int seqLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int windows = WindowCount(seqLen);
        if (windows == 0) throw new ArgumentException($"SequentialBatches: {Count} tokens hold no window of {seqLen} + 1 tokens");
        return Iterate(batchSize, seqLen, windows);
    }

    private IEnumerable<TokenBatch> Iterate(int batchSize, int seqLen, int windows)
    {
        int first = Count - 1 - windows * seqLen;
        for (int w0 = 0; w0 < windows; w0 += batchSize)
        {
            int b = Math.Min(batchSize, windows - w0);
            var inputs = new int[b * seqLen];   // (b, T)
            var targets = new int[b * seqLen];  // (b, T)
            for (int r = 0; r < b; r++)
            {
                var window = Tokens.Slice(first + (w0 + r) * seqLen, seqLen + 1);
                window[..seqLen].CopyTo(inputs.AsSpan(r * seqLen));
                window[1..].CopyTo(targets.AsSpan(r * seqLen));
            }
            yield return new TokenBatch(inputs, targets, b, seqLen);
        }
    }

    /// <summary>Writes the tokens to a <see cref="TokenCache"/> file.</summary>
    public void Save(string path, string sourceKey = "") => TokenCache.Save(path, _tokens, sourceKey);

    /// <summary>Loads a <see cref="TokenCache"/> file (validated).</summary>
    public static TokenDataset Load(string path) => new(TokenCache.Load(path).Tokens);

    /// <summary>
    /// Loads <paramref name="cachePath"/> when it exists with the same <paramref name="sourceKey"/>; otherwise calls
    /// <paramref name="build"/> (e.g. <see cref="FromTextFiles"/>) and saves the result there. The key should name
    /// everything the tokens depend on (input paths, sizes, modification times, tokenizer vocabulary hash), since a
    /// matching key is the only staleness check. A corrupt cache throws rather than being silently rebuilt.
    /// </summary>
    public static TokenDataset LoadOrBuild(string cachePath, string sourceKey, Func<TokenDataset> build)
    {
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(build);
        if (TokenCache.ReadSourceKey(cachePath) == sourceKey) return Load(cachePath);
        var data = build();
        data.Save(cachePath, sourceKey);
        return data;
    }
}
