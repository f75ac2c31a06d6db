using System.Collections.Frozen;

namespace Rlhf.Training.Scoring;

/// <summary>
/// A tiny, deterministic "sentiment / quality" gold scorer for short English texts, chosen because a few-million
/// parameter GPT can learn to move it within minutes. The prompt is ignored.
/// <para>
/// Words start with an ASCII letter and run over letters and apostrophes, lower-cased (so "Great!" is "great"). With
/// P and N the numbers of distinct words found in <see cref="PositiveWords"/> and <see cref="NegativeWords"/>, R the
/// number of repeated words (words − distinct words) and W the word count:
/// <code>
/// raw   = P − N − RepetitionPenalty·R − OverLengthPenalty·max(0, W − MaxWords) − (W == 0 ? EmptyPenalty : 0)
/// score = tanh(Scale · raw) ∈ (−1, 1)
/// </code>
/// </para>
/// <para>
/// It is gameable in known ways, on purpose: RL overoptimisation demos need a gold that a learned proxy RM can
/// disagree with. There is no negation ("not good" counts as positive), no grammar or relevance to the prompt,
/// and tanh saturates, so a string of distinct positive words ("great wonderful lovely happy…") scores near 1 while
/// being a useless answer. A proxy RM trained on a few thousand comparisons will also pick up correlates (length,
/// punctuation, particular tokens) that this gold does not reward; optimising the proxy then drives gold down.
/// </para>
/// </summary>
public sealed class LexiconSentimentScorer : IGoldScorer
{
    /// <summary>Positive lexicon (30 everyday words; each distinct one present adds 1 to raw).</summary>
    public static readonly FrozenSet<string> PositiveWords = FrozenSet.ToFrozenSet(
    [
        "good", "great", "excellent", "wonderful", "amazing", "happy", "love", "lovely", "nice", "best",
        "beautiful", "fantastic", "kind", "fun", "enjoy", "enjoyed", "brilliant", "delightful", "glad", "perfect",
        "pleasant", "awesome", "cheerful", "friendly", "helpful", "superb", "warm", "bright", "calm", "joy",
    ]);

    /// <summary>Negative lexicon (30 everyday words; each distinct one present subtracts 1 from raw).</summary>
    public static readonly FrozenSet<string> NegativeWords = FrozenSet.ToFrozenSet(
    [
        "bad", "terrible", "awful", "horrible", "sad", "hate", "hated", "worst", "ugly", "boring",
        "poor", "angry", "annoying", "dull", "nasty", "disappointing", "broken", "wrong", "fail", "failed",
        "painful", "miserable", "rude", "gloomy", "cold", "dark", "sick", "tired", "upset", "cry",
    ]);

    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _positive = PositiveWords.GetAlternateLookup<ReadOnlySpan<char>>();
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _negative = NegativeWords.GetAlternateLookup<ReadOnlySpan<char>>();
    private readonly HashSet<string> _seen = [];

    /// <summary>Raw score lost per repeated word (mild: one new positive word outweighs two repeats).</summary>
    public double RepetitionPenalty { get; init; } = 0.5;

    /// <summary>Answers longer than this many words are penalised by <see cref="OverLengthPenalty"/> per extra word.</summary>
    public int MaxWords { get; init; } = 40;

    /// <summary>Raw score lost per word beyond <see cref="MaxWords"/>.</summary>
    public double OverLengthPenalty { get; init; } = 0.1;

    /// <summary>Raw score lost by an answer with no words at all.</summary>
    public double EmptyPenalty { get; init; } = 1.0;

    /// <summary>tanh slope: 0.5 keeps one to four sentiment words in tanh's responsive range.</summary>
    public double Scale { get; init; } = 0.5;

    /// <inheritdoc/>
    public string Name => "lexicon-sentiment";

    /// <summary>tanh(Scale · raw) as in the class summary; not thread-safe (reuses a word set).</summary>
    public double Score(string prompt, string completion) => Math.Tanh(Scale * Raw(completion));

    /// <summary>The unsquashed raw score (see the class summary), useful for inspecting why a text scores as it does.</summary>
    public double Raw(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        Span<char> lower = completion.Length <= 1024 ? stackalloc char[completion.Length] : new char[completion.Length];
        completion.AsSpan().ToLowerInvariant(lower);
        int words = 0, repeats = 0, sentiment = 0;
        _seen.Clear();
        var seen = _seen.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int i = 0; i < lower.Length;)
        {
            if (lower[i] is < 'a' or > 'z') { i++; continue; } // words start with a letter, so a lone quote is not one
            int start = i;
            while (i < lower.Length && IsWordChar(lower[i])) i++;
            ReadOnlySpan<char> word = lower[start..i];
            words++;
            if (!seen.Add(word)) { repeats++; continue; } // a repeat never adds sentiment: "good good good" is no hack
            if (_positive.Contains(word)) sentiment++;
            else if (_negative.Contains(word)) sentiment--;
        }
        return sentiment - RepetitionPenalty * repeats - OverLengthPenalty * Math.Max(0, words - MaxWords) - (words == 0 ? EmptyPenalty : 0);
    }

    private static bool IsWordChar(char c) => c is (>= 'a' and <= 'z') or '\'';
}
