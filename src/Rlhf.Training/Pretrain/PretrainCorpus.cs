using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Data;

namespace Rlhf.Training.Pretrain;

/// <summary>
/// Text files → one token stream (<see cref="TokenDataset.FromTextFiles"/>), cached in a <c>.tokens</c> file so a
/// corpus is tokenized once. The cache key names every input file with its full path, size and modification time,
/// the document separator and a SHA-256 of the tokenizer (vocab, merges, special tokens); any change rebuilds it.
/// Editing a file without changing its size or timestamp goes unnoticed.
/// </summary>
public static class PretrainCorpus
{
    /// <summary>Cache file name inside the run directory.</summary>
    public const string CacheFile = "corpus.tokens";

    /// <summary>
    /// Loads <paramref name="files"/> through the cache at <paramref name="cachePath"/> (built when missing or stale).
    /// <paramref name="separator"/>: split files into documents at this string (each file is one document without
    /// it); every document is followed by end-of-text.
    /// </summary>
    public static TokenDataset Load(IReadOnlyList<string> files, BpeTokenizer tokenizer, string cachePath, string? separator = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(tokenizer);
        string key = SourceKey(files, tokenizer, separator);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(cachePath))!);
        return TokenDataset.LoadOrBuild(cachePath, key,
            () => TokenDataset.FromTextFiles(files, text => tokenizer.Encode(text), tokenizer.EndOfTextId, separator));
    }

    /// <summary>The cache key: format version, tokenizer hash, separator, and each file's path, size and mtime.</summary>
    public static string SourceKey(IReadOnlyList<string> files, BpeTokenizer tokenizer, string? separator)
    {
        var key = new StringBuilder();
        key.Append("rlhf-pretrain-corpus v1\ntokenizer sha256 ").Append(TokenizerHash(tokenizer)).Append('\n');
        key.Append("separator ").Append(separator is null ? "none" : Convert.ToHexString(Encoding.UTF8.GetBytes(separator))).Append('\n');
        foreach (string f in files)
        {
            var info = new FileInfo(f);
            key.Append(CultureInfo.InvariantCulture, $"{info.FullName}\t{info.Length}\t{info.LastWriteTimeUtc.Ticks}\n");
        }
        return key.ToString();
    }

    /// <summary>SHA-256 (hex) over the vocab strings in id order, the merges in rank order and the special tokens.</summary>
    public static string TokenizerHash(BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) { sha.AppendData(Encoding.UTF8.GetBytes(s)); sha.AppendData("\0"u8); }
        for (int id = 0; id < tokenizer.VocabSize; id++) Add(tokenizer.IdToToken(id));
        Add("merges");
        foreach (var (left, right) in tokenizer.Merges) Add(left + " " + right);
        Add("specials");
        foreach (string s in tokenizer.SpecialTokens) Add(s);
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
