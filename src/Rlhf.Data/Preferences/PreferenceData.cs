using System.Text.Json.Serialization;
using System.Text.Json.Nodes;

namespace Rlhf.Data.Preferences;

/// <summary>
/// A preference data set: every record as <see cref="RankedCompletions"/> (a pairwise record is K = 2, ranking [0, 1]).
/// <para>
/// JSONL formats, one per file; the first record decides and a record of the other format is an error:
/// <list type="bullet">
/// <item>pairwise (TRL): <c>{"prompt": "...", "chosen": "...", "rejected": "..."}</c>, chosen ≠ rejected;</item>
/// <item>ranked: <c>{"prompt": "...", "completions": ["...", ...], "ranking": [best, ..., worst], "ties": [[i, j], ...]}</c>
/// with K ≥ 2, ranking a permutation of 0..K-1, optional tie groups whose members sit next to each other in the ranking.</item>
/// </list>
/// Conversations: the prompt may be a list of messages <c>[{"role": "user"|"assistant", "content": "..."}, ...]</c>, under
/// <c>"prompt"</c> or <c>"messages"</c>; each response (chosen, rejected, a completion) may be a message list whose last
/// message is the assistant's, and whose earlier messages continue the prompt (TRL's implicit-prompt format: no
/// prompt, full conversations in chosen/rejected). All responses of a record must continue the same conversation,
/// which must start and end with a user turn and alternate. It is flattened to one prompt string
/// <c>u1 + "\nAssistant: " + a1 + "\nUser: " + u2 ...</c>, so <c>ChatTemplate.FormatPrompt(prompt)</c> is the transcript
/// <c>User: u1\nAssistant: a1\nUser: u2\nAssistant:</c> and the response is the last assistant message's text. Earlier
/// turns carry no end-of-text token (the template has none between turns). With a chat template
/// (<c>--chat-template</c>, or the model's <c>tokenizer_config.json</c>) the conversation is kept
/// (<see cref="RankedCompletions.Messages"/>) and rendered as the model's template renders it, each response as the
/// assistant's next message ending in the end-of-turn token, so chosen and rejected share the prompt's ids exactly.
/// </para>
/// Unknown fields (top level or in a message) are errors naming the field. Not supported: system messages, tool
/// calls, non-text content, per-pair margins or scores. Errors are <see cref="DataFormatException"/> <c>path:line: ...</c>.
/// </summary>
public sealed class PreferenceData(PreferenceFormat format, IReadOnlyList<RankedCompletions> records)
{
    /// <summary>The file's format.</summary>
    public PreferenceFormat Format { get; } = format;

    /// <summary>The records in file order.</summary>
    public IReadOnlyList<RankedCompletions> Records { get; } = records;

    /// <summary>Reads and validates <paramref name="path"/>; throws <see cref="DataFormatException"/> at the first bad line.</summary>
    public static PreferenceData Load(string path)
    {
        PreferenceFormat? format = null;
        int formatLine = 0;
        var records = new List<RankedCompletions>();
        foreach (var (line, o) in Jsonl.Read<JsonObject>(path))
        {
            try
            {
                var kind = PreferenceRecordParser.Detect(o)
                    ?? throw new FormatException("expected a pairwise record ('prompt', 'chosen', 'rejected') or a ranked one ('prompt', 'completions', 'ranking')");
                if (format is null) (format, formatLine) = (kind, line);
                else if (kind != format)
                    throw new FormatException($"a {Name(kind)} record in a {Name(format.Value)} file (line {formatLine} set the format; one format per file)");
                records.Add(PreferenceRecordParser.Parse(o, kind));
            }
            catch (FormatException e) { throw new DataFormatException($"{path}:{line}: {e.Message}", e); }
            // JsonObject builds its dictionary lazily and throws a plain ArgumentException on a repeated field name
            catch (ArgumentException e) when (e.GetType() == typeof(ArgumentException))
            {
                throw new DataFormatException($"{path}:{line}: expected each field once per object: {e.Message}", e);
            }
        }
        if (format is null) throw new DataFormatException($"{path}:1: expected preference records, found an empty file");
        return new PreferenceData(format.Value, records);
    }

    /// <summary>Every comparison as text with its weight (1 / pairs of its record), in record order.</summary>
    public IEnumerable<(PreferencePair Pair, double Weight)> ExpandPairs()
    {
        foreach (var r in Records)
            foreach (var p in r.Pairs())
                yield return (new PreferencePair(r.Prompt, r.Completions[p.Better], r.Completions[p.Worse]) { Messages = r.Messages }, p.Weight);
    }

    /// <summary>
    /// Every comparison as text with its record's <see cref="RankedCompletions.Weight"/> (a labeler's quality weight; 1
    /// by default), in record order: DPO's view, where each pair is one example and only the labeler weight scales it.
    /// </summary>
    public IEnumerable<(PreferencePair Pair, double Weight)> RecordWeightedPairs()
    {
        foreach (var r in Records)
            foreach (var p in r.Pairs())
                yield return (new PreferencePair(r.Prompt, r.Completions[p.Better], r.Completions[p.Worse]) { Messages = r.Messages }, r.Weight);
    }

    /// <summary>
    /// Deterministic train/eval split by prompt: distinct prompts are ordered by a seeded hash of their text and the
    /// first <c>round(evalFraction · prompts)</c> (at least 1 when the fraction is positive and there are ≥ 2 prompts,
    /// at most prompts − 1) go to eval, so all records of a prompt land on one side, and the result depends only on
    /// the seed and the set of prompts, not on file order. Record order is kept on both sides.
    /// </summary>
    public (PreferenceData Train, PreferenceData Eval) Split(double evalFraction, ulong seed)
    {
        if (!(evalFraction >= 0 && evalFraction < 1)) throw new ArgumentOutOfRangeException(nameof(evalFraction), evalFraction, "expected 0 <= fraction < 1");
        var prompts = Records.Select(r => r.Prompt).Distinct(StringComparer.Ordinal)
            .OrderBy(p => Hash(p, seed)).ThenBy(p => p, StringComparer.Ordinal).ToList();
        int n = prompts.Count, evalCount = (int)Math.Round(evalFraction * n);
        if (evalFraction > 0 && n >= 2) evalCount = Math.Clamp(evalCount, 1, n - 1);
        var eval = prompts.Take(evalCount).ToHashSet(StringComparer.Ordinal);
        return (new PreferenceData(Format, [.. Records.Where(r => !eval.Contains(r.Prompt))]),
                new PreferenceData(Format, [.. Records.Where(r => eval.Contains(r.Prompt))]));
    }

    /// <summary>
    /// Drops records identical to an earlier one (same prompt, completions in the same order, ranking and ties); keeps
    /// the first. Records that rank the same completions differently are kept: they are separate judgements.
    /// </summary>
    public (PreferenceData Data, int Removed) Dedupe()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = Records.Where(r => seen.Add(Key(r))).ToList();
        return (new PreferenceData(Format, kept), Records.Count - kept.Count);
    }

    /// <summary>A string identifying the record's content (lengths prefix every text, so no separator can collide).</summary>
    internal static string Key(RankedCompletions r) =>
        $"{r.Prompt.Length}:{r.Prompt}|{string.Concat(r.Completions.Select(c => $"{c.Length}:{c}"))}|{string.Join(",", r.Ranking)}|{string.Join(";", r.Ties.Select(t => string.Join(",", t)))}";

    private static string Name(PreferenceFormat f) => f == PreferenceFormat.Pairwise ? "pairwise" : "ranked";

    /// <summary>FNV-1a over the UTF-16 code units, seeded, then a SplitMix64 finalizer: stable across runs and platforms.</summary>
    private static ulong Hash(string text, ulong seed)
    {
        ulong h = 14695981039346656037UL ^ seed;
        foreach (char c in text) h = (h ^ c) * 1099511628211UL;
        h ^= h >> 30; h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27; h *= 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }

    /// <summary>
    /// Writes <paramref name="data"/> as JSONL that <see cref="PreferenceData.Load"/> reads back equal: pairwise
    /// <c>{"prompt", "chosen", "rejected"}</c> or ranked <c>{"prompt", "completions", "ranking", "ties"?, "allBad"?,
    /// "unsafe"?, "labeler"?, "weight"?}</c> (each optional field only when it is not its default). Prompts are written
    /// as plain text, or as the list of messages where the record has a conversation (<see cref="RankedCompletions.Messages"/>).
    /// Atomic (temporary file, then rename).
    /// </summary>
    public static int Write(string path, PreferenceData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.Format == PreferenceFormat.Pairwise
            ? Jsonl.Write(path, data.Records.Select(r => new PairLine(PromptOf(r), r.Completions[r.Ranking[0]], r.Completions[r.Ranking[1]])))
            : Jsonl.Write(path, data.Records.Select(r => new RankedLine(PromptOf(r), r.Completions, r.Ranking, r.Ties.Count == 0 ? null : r.Ties,
                r.AllBad ? true : null, r.Unsafe.Count == 0 ? null : r.Unsafe, r.Labeler, r.Weight == 1 ? null : r.Weight)));
    }

    private static object PromptOf(RankedCompletions r) =>
        r.Messages is { } m ? m.Select(x => new MessageLine(x.Role, x.Content)).ToList() : r.Prompt;

    private sealed record MessageLine(
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("content")] string Content);

    private sealed record PairLine(
        [property: JsonPropertyName("prompt")] object Prompt,
        [property: JsonPropertyName("chosen")] string Chosen,
        [property: JsonPropertyName("rejected")] string Rejected);

    private sealed record RankedLine(
        [property: JsonPropertyName("prompt")] object Prompt,
        [property: JsonPropertyName("completions")] IReadOnlyList<string> Completions,
        [property: JsonPropertyName("ranking")] IReadOnlyList<int> Ranking,
        [property: JsonPropertyName("ties"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int[]>? Ties,
        [property: JsonPropertyName("allBad"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? AllBad,
        [property: JsonPropertyName("unsafe"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? Unsafe,
        [property: JsonPropertyName("labeler"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Labeler,
        [property: JsonPropertyName("weight"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Weight);
}
