using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Data;
using Rlhf.Data.Preferences;
using Rlhf.Feedback.Exchange;
using Rlhf.Feedback.Quality;
using Rlhf.Feedback.Storage;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Feedback.Rounds;

/// <summary>
/// One round of labels from people (<c>rlhf online --labeler humans:…</c>), through a label store (<see cref="ILabelDesk"/>):
/// <list type="number">
/// <item>enqueue the round's tasks and write what was asked to <c>round_NNN/tasks.jsonl</c> (each line with its store
/// task id), then <c>humans.json</c> (<see cref="HumanRoundState"/>); a resumed round finds <c>humans.json</c>, checks
/// that the tasks are the same (a fingerprint of their text) and skips straight to waiting;</item>
/// <item>wait, asking the store for new labels every <see cref="HumanRoundOptions.PollInterval"/>, until the round's
/// tasks hold the quota of labels or the deadline (counted from the enqueue) passes, writing progress lines: labels
/// ranked / needed, per labeler, rate and ETA; a cancellation returns null and leaves everything for a resume;</item>
/// <item>weigh the labelers on every label in the store (gold tasks and earlier rounds included,
/// <see cref="QualityReport"/>, <see cref="LabelerWeights"/>), and return one ranked record per label of the round's
/// tasks (<see cref="FeedbackExport.Records"/>: gold never, labelers under the threshold left out).</item>
/// </list>
/// Only labels stored after the enqueue are the round's data, so a task whose text an earlier round already asked
/// does not bring that round's labels again (they fill its places in the quota, since the app hands it out no more).
/// </summary>
public static class HumanRound
{
    /// <summary>What was asked: one line per task, <c>{"task": id, "prompt", "completions", "critiques"?}</c>.</summary>
    public const string TasksFile = "tasks.jsonl";

    /// <summary>The round's link to the store (<see cref="HumanRoundState"/>).</summary>
    public const string StateFile = "humans.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>
    /// Runs the round in <paramref name="roundDir"/> (see the type); returns null when <paramref name="cancel"/> stopped
    /// the wait. Progress lines go to <paramref name="log"/>.
    /// </summary>
    public static HumanRoundResult? Run(ILabelDesk desk, IReadOnlyList<LabelTaskInput> tasks, string roundDir, string source, HumanRoundOptions options,
        TextWriter log, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(desk);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (tasks.Count == 0) throw new ArgumentException("a round needs at least one task", nameof(tasks));
        var clock = options.Clock;

        // 1. the round's tasks: enqueued now, or found from an interrupted session
        var labels = new List<StoredLabel>(desk.LabelsAfter(0));
        long cursor = labels.Count == 0 ? 0 : labels[^1].Id;
        var state = ResumeOrEnqueue(desk, tasks, roundDir, source, cursor, clock, log);
        var ids = state.TaskIds.ToHashSet();
        int quota = options.Quota ?? ids.Count * options.LabelsPerTask;
        DateTimeOffset? deadline = options.Deadline is { } d ? state.EnqueuedUtc + d : null;

        // 2. wait for the quota or the deadline
        var start = clock.GetUtcNow();
        int atStart = -1, reported = -1;
        var lastReport = DateTimeOffset.MinValue;
        List<StoredLabel> mine;
        bool late;
        for (;;)
        {
            mine = [.. labels.Where(l => ids.Contains(l.Task.Id) && l.Id > state.AfterLabelId)];
            int answered = mine.Count + labels.Count(l => ids.Contains(l.Task.Id) && l.Id <= state.AfterLabelId); // a repeated task's earlier labels fill its places
            if (atStart < 0) atStart = answered;
            var now = clock.GetUtcNow();
            late = deadline is { } dl && now >= dl;
            if (answered != reported || now - lastReport >= options.ReportInterval || answered >= quota || late)
            {
                log.WriteLine(Describe(mine, answered, quota, answered - atStart, now - start, deadline, now));
                (reported, lastReport) = (answered, now);
            }
            if (answered >= quota) { late = false; break; }
            if (late)
            {
                log.WriteLine($"humans: the round's deadline {deadline!.Value.ToString("u", CultureInfo.InvariantCulture)} passed with {answered} of {quota} labels; training on those");
                break;
            }
            if (cancel.WaitHandle.WaitOne(options.PollInterval)) return null;
            var fresh = desk.LabelsAfter(cursor);
            if (fresh.Count > 0) { labels.AddRange(fresh); cursor = fresh[^1].Id; }
        }

        // 3. weigh the labelers on everything the store holds, keep the round's labels
        var names = labels.Select(l => l.Labeler).Distinct(StringComparer.Ordinal).ToList();
        var quality = QualityReport.PerLabeler(labels, names);
        var records = FeedbackExport.Records(mine, quality, new FeedbackExport.Options(MinQuality: options.MinQuality, Weighted: options.Weighted));
        var weights = options.Weighted ? LabelerWeights.From(quality) : names.ToDictionary(n => n, _ => 1.0, StringComparer.Ordinal);
        var perLabeler = mine.GroupBy(l => l.Labeler, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var q in quality.Where(q => perLabeler.ContainsKey(q.Name)))
            log.WriteLine($"humans: {q.Name}: {perLabeler[q.Name]} labels this round, quality {(q.Score is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) : "not judged")}"
                + $" ({q.GoldLabels} gold labels), weight {weights.GetValueOrDefault(q.Name, 1):0.00}" + (options.MinQuality is { } m && q.Score < m ? ", left out (below --min-quality)" : ""));
        return new HumanRoundResult(records, mine.Count, quota, perLabeler, weights, late);
    }

    /// <summary>The saved state of <paramref name="roundDir"/>, or null when the round has not enqueued yet.</summary>
    public static HumanRoundState? ReadState(string roundDir)
    {
        string path = Path.Combine(roundDir, StateFile);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<HumanRoundState>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty round state"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a valid round state ({e.Message})", e); }
    }

    private static HumanRoundState ResumeOrEnqueue(ILabelDesk desk, IReadOnlyList<LabelTaskInput> tasks, string roundDir, string source, long cursor,
        TimeProvider clock, TextWriter log)
    {
        string fingerprint = Fingerprint(tasks);
        if (ReadState(roundDir) is { } saved)
        {
            if (saved.TaskIds.Count != tasks.Count || saved.Fingerprint != fingerprint)
                throw new InvalidDataException($"{Path.Combine(roundDir, TasksFile)} holds other tasks than this round's samples; was the run's policy or seed changed?");
            if (saved.Store != desk.Location)
                throw new InvalidDataException($"round {roundDir} enqueued its tasks at {saved.Store}, not {desk.Location}");
            log.WriteLine($"humans: resuming the round's wait for its {tasks.Count} tasks at {desk.Location} (enqueued {saved.EnqueuedUtc.ToString("u", CultureInfo.InvariantCulture)})");
            return saved;
        }
        var ids = desk.Enqueue(tasks, source);
        Directory.CreateDirectory(roundDir);
        Jsonl.Write(Path.Combine(roundDir, TasksFile), tasks.Select((t, i) => new TaskLine(ids[i], t.Prompt, t.Completions, t.Messages, t.Critiques)));
        var state = new HumanRoundState(desk.Location, ids, clock.GetUtcNow(), cursor, fingerprint);
        AtomicFile.WriteAllText(Path.Combine(roundDir, StateFile), JsonSerializer.Serialize(state, Json)); // last: its presence says the tasks are in
        log.WriteLine($"humans: enqueued {tasks.Count} tasks at {desk.Location} (task ids {ids.Min()}…{ids.Max()}); waiting for labels");
        return state;
    }

    /// <summary>SHA-256 over every task's prompt and completions, each text prefixed by its length.</summary>
    private static string Fingerprint(IReadOnlyList<LabelTaskInput> tasks)
    {
        var text = new StringBuilder();
        foreach (var t in tasks)
        {
            text.Append(t.Prompt.Length).Append(':').Append(t.Prompt);
            foreach (string c in t.Completions) text.Append('|').Append(c.Length).Append(':').Append(c);
            text.Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary><c>humans: 12/32 labels (ann 7, bob 5), 3.1/min, ETA 6m30s</c>.</summary>
    private static string Describe(List<StoredLabel> mine, int answered, int quota, int gained, TimeSpan waited, DateTimeOffset? deadline, DateTimeOffset now)
    {
        var who = mine.GroupBy(l => l.Labeler, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        string text = $"humans: {answered}/{quota} labels" + (mine.Count > 0 ? $" ({string.Join(", ", who)})" : "");
        if (gained > 0 && waited > TimeSpan.Zero && answered < quota)
        {
            double perMinute = gained / waited.TotalMinutes;
            text += $", {perMinute.ToString("0.0", CultureInfo.InvariantCulture)}/min, ETA {Duration(TimeSpan.FromMinutes((quota - answered) / perMinute))}";
        }
        if (deadline is { } d && answered < quota) text += $", deadline in {Duration(d - now)}";
        return text;
    }

    private static string Duration(TimeSpan t) =>
        t <= TimeSpan.Zero ? "0s" : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{Math.Ceiling(t.TotalSeconds)}s";

    private sealed record TaskLine(
        [property: JsonPropertyName("task")] long Task,
        [property: JsonPropertyName("prompt")] string Prompt,
        [property: JsonPropertyName("completions")] IReadOnlyList<string> Completions,
        [property: JsonPropertyName("messages"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatMessage>? Messages,
        [property: JsonPropertyName("critiques"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string?>? Critiques);
}
