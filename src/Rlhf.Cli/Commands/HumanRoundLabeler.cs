using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Feedback.Rounds;
using Rlhf.Feedback.Storage;
using Rlhf.Training.Online;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf online --labeler humans:…</c>: each round's samples go to people through a label store
/// (<see cref="HumanRound"/>), and the labels that come back are the round's rankings. A group is asked with its
/// distinct non-empty samples (the app needs ≥ 2 different, non-empty texts to rank; identical cards waste the
/// labeler's time); a prompt left with fewer is not asked. Optional AI critiques (<c>--assist</c>) come with the tasks.
/// </summary>
internal sealed class HumanRoundLabeler(ILabelDesk desk, HumanRoundOptions options, string runName, TextWriter log,
    Func<string, IReadOnlyList<string>, IReadOnlyList<string?>?>? critic = null) : IRoundLabeler
{
    /// <inheritdoc/>
    public IReadOnlyList<string> KeptOnRedo => [HumanRound.TasksFile, HumanRound.StateFile];

    /// <inheritdoc/>
    public RoundLabels? Label(int round, IReadOnlyList<RlPrompt> prompts, IReadOnlyList<IReadOnlyList<string>> completions, string roundDirectory,
        CancellationToken cancel = default)
    {
        var tasks = new List<LabelTaskInput>();
        int skipped = 0;
        bool resuming = HumanRound.ReadState(roundDirectory) is not null; // the tasks are asked already: no new critiques
        for (int p = 0; p < prompts.Count; p++)
        {
            var distinct = completions[p].Where(c => !string.IsNullOrWhiteSpace(c)).Distinct(StringComparer.Ordinal).ToList();
            if (distinct.Count < 2) { skipped++; continue; }
            tasks.Add(new LabelTaskInput(prompts[p].Prompt, distinct, Critiques: resuming ? null : critic?.Invoke(prompts[p].Prompt, distinct)));
        }
        if (skipped > 0) log.WriteLine($"humans: round {round}: {skipped} of {prompts.Count} prompts have fewer than 2 distinct non-empty samples and are not asked");
        if (tasks.Count == 0)
        {
            log.WriteLine($"humans: round {round}: nothing to ask");
            return new RoundLabels(new PreferenceData(PreferenceFormat.Ranked, []), new Dictionary<string, double> { ["human_labels"] = 0 });
        }
        var result = HumanRound.Run(desk, tasks, roundDirectory, $"online:{runName}:round {round}", options, log, cancel);
        if (result is null) return null;
        var metrics = new Dictionary<string, double>
        {
            ["human_tasks"] = tasks.Count, ["human_labels"] = result.Labels, ["human_quota"] = result.Quota, ["human_records"] = result.Records.Count,
            ["human_labelers"] = result.LabelsPerLabeler.Count, ["human_deadline_reached"] = result.DeadlineReached ? 1 : 0,
        };
        // a conversational prompt is shown flattened (its turns in the text); its records keep the messages for the chat template
        var messages = prompts.Where(p => p.Messages is not null).GroupBy(p => p.Prompt, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Messages, StringComparer.Ordinal);
        var records = result.Records.Select(r => messages.TryGetValue(r.Prompt, out var m) ? r with { Messages = m } : r).ToList();
        return new RoundLabels(new PreferenceData(PreferenceFormat.Ranked, records), metrics);
    }
}
