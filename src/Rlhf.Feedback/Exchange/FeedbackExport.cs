using System.Text.Json.Serialization;
using Rlhf.Feedback.Quality;
using Rlhf.Feedback.Storage;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Exchange;

/// <summary>
/// Labels out of the database as preference data the reward model and DPO read (<see cref="PreferenceData.Load"/>):
/// ranked records, one per label (a task labeled by three people gives three records: separate judgements), or, on
/// request, pairwise records, every comparison a ranking implies (tied pairs and pairs of identical texts left out).
/// <list type="bullet">
/// <item>Ranked: <c>{"prompt" | "messages", "completions", "ranking", "ties"?, "allBad"?, "unsafe"?, "labeler", "sawCritiques"?}</c>.
/// A multi-turn task is written with <c>"messages"</c>: the earlier conversation and the prompt as the last user turn.</item>
/// <item>Flags, honoured by <see cref="RankedCompletions.Pairs"/>: <c>"allBad": true</c> gives no pairs (the order of
/// bad answers teaches nothing to prefer); <c>"unsafe": [i, …]</c> puts those completions below every safe one. A
/// label flagged unsafe without naming a completion keeps its pairs (<c>excludeFlagged</c> drops it).</item>
/// <item>Gold / attention-check tasks are checks, not data: their labels are never exported.</item>
/// <item><c>minQuality</c> drops the labels of labelers whose <see cref="LabelerQuality.Score"/> is below it
/// (labelers not judged yet are kept); <c>weighted</c> keeps them and writes each record's labeler weight
/// (<see cref="LabelerWeights"/>) as <c>"weight"</c>, which RM and DPO loading apply to its pairs.</item>
/// </list>
/// </summary>
public static class FeedbackExport
{
    /// <summary>
    /// What to export: the format, whether flagged labels are left out, the quality threshold, and whether ranked
    /// records carry their labeler's weight (<see cref="LabelerWeights"/>, as <c>"weight"</c>; ranked format only).
    /// </summary>
    public sealed record Options(PreferenceFormat Format = PreferenceFormat.Ranked, bool ExcludeFlagged = false, double? MinQuality = null, bool Weighted = false);

    /// <summary>The lines to write, in storage order.</summary>
    public static IReadOnlyList<object> Lines(IReadOnlyList<StoredLabel> labels, IReadOnlyList<LabelerQuality> quality, Options options)
    {
        var lines = new List<object>();
        foreach (var (l, weight) in Selected(labels, quality, options))
        {
            var conversation = l.Task.Messages.Count == 0 ? null : l.Task.Messages.Append(new ChatMessage("user", l.Task.Prompt)).ToList();
            string? prompt = conversation is null ? l.Task.Prompt : null;
            if (options.Format == PreferenceFormat.Ranked)
            {
                lines.Add(new RankedLine(prompt, conversation, l.Task.Completions, l.Ranking, l.Ties.Count == 0 ? null : l.Ties,
                    l.AllBad ? true : null, l.UnsafeCompletions.Count == 0 ? null : l.UnsafeCompletions, l.Labeler, l.SawCritiques ? true : null,
                    options.Weighted ? weight : null));
                continue;
            }
            var record = new RankedCompletions(l.Task.Prompt, l.Task.Completions, l.Ranking, l.Ties) { AllBad = l.AllBad, Unsafe = l.UnsafeCompletions };
            foreach (var p in record.Pairs())
                if (l.Task.Completions[p.Better] != l.Task.Completions[p.Worse])
                    lines.Add(new PairLine(prompt, conversation, l.Task.Completions[p.Better], l.Task.Completions[p.Worse]));
        }
        return lines;
    }

    /// <summary>
    /// The same selection as ranked records in memory (for a single-turn task's labels: the online loop's rounds),
    /// each with its labeler's name, flags and, with <see cref="Options.Weighted"/>, its labeler's weight.
    /// </summary>
    public static List<RankedCompletions> Records(IReadOnlyList<StoredLabel> labels, IReadOnlyList<LabelerQuality> quality, Options options) =>
        [.. Selected(labels, quality, options).Select(x => new RankedCompletions(x.Label.Task.Prompt, x.Label.Task.Completions, x.Label.Ranking, x.Label.Ties)
        {
            AllBad = x.Label.AllBad, Unsafe = x.Label.UnsafeCompletions, Labeler = x.Label.Labeler, Weight = options.Weighted ? x.Weight : 1,
        })];

    /// <summary>The labels the options keep (never gold tasks), each with its labeler's weight.</summary>
    private static IEnumerable<(StoredLabel Label, double Weight)> Selected(IReadOnlyList<StoredLabel> labels, IReadOnlyList<LabelerQuality> quality, Options options)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(quality);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Weighted && options.Format != PreferenceFormat.Ranked)
            throw new FeedbackException(FeedbackError.Invalid, "labeler weights need the ranked format (a pairwise record has no weight)");
        var dropped = options.MinQuality is { } min ? quality.Where(q => q.Score < min).Select(q => q.Name).ToHashSet(StringComparer.Ordinal) : [];
        var weights = LabelerWeights.From(quality);
        foreach (var l in labels)
        {
            if (l.Task.Gold is not null || dropped.Contains(l.Labeler) || (options.ExcludeFlagged && (l.AllBad || l.Unsafe))) continue;
            yield return (l, weights.TryGetValue(l.Labeler, out double w) ? w : 1);
        }
    }

    /// <summary>Writes the store's labels to <paramref name="path"/> atomically; returns the number of records.</summary>
    public static int Write(FeedbackStore store, string path, PreferenceFormat format, bool excludeFlagged = false, double? minQuality = null) =>
        Write(store, path, new Options(format, excludeFlagged, minQuality));

    /// <inheritdoc cref="Write(FeedbackStore, string, PreferenceFormat, bool, double?)"/>
    public static int Write(FeedbackStore store, string path, Options options)
    {
        ArgumentNullException.ThrowIfNull(store);
        var labels = store.Labels();
        var quality = options.MinQuality is null && !options.Weighted ? [] : store.Overview(1).Labelers;
        var lines = Lines(labels, quality, options);
        return options.Format == PreferenceFormat.Ranked ? Jsonl.Write(path, lines.Cast<RankedLine>()) : Jsonl.Write(path, lines.Cast<PairLine>());
    }

    private sealed record RankedLine(
        [property: JsonPropertyName("prompt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Prompt,
        [property: JsonPropertyName("messages"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatMessage>? Messages,
        [property: JsonPropertyName("completions")] IReadOnlyList<string> Completions,
        [property: JsonPropertyName("ranking")] IReadOnlyList<int> Ranking,
        [property: JsonPropertyName("ties"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int[]>? Ties,
        [property: JsonPropertyName("allBad"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? AllBad,
        [property: JsonPropertyName("unsafe"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? Unsafe,
        [property: JsonPropertyName("labeler")] string Labeler,
        [property: JsonPropertyName("sawCritiques"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? SawCritiques,
        [property: JsonPropertyName("weight"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Weight);

    private sealed record PairLine(
        [property: JsonPropertyName("prompt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Prompt,
        [property: JsonPropertyName("messages"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatMessage>? Messages,
        [property: JsonPropertyName("chosen")] string Chosen,
        [property: JsonPropertyName("rejected")] string Rejected);
}
