using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Training.Labeling;

namespace Rlhf.Training.Online;

/// <summary>
/// A round labeled prompt by prompt by round r's <see cref="ILabeler"/> (<c>labelerForRound(r)</c>: a simulated panel,
/// a reward model): one full ranking per prompt, no ties, in prompt order. Deterministic, so a redone round gets the
/// same labels; nothing is kept across a redo.
/// </summary>
public sealed class PanelRoundLabeler(Func<int, ILabeler> labelerForRound) : IRoundLabeler
{
    private readonly Func<int, ILabeler> _labelerForRound = labelerForRound ?? throw new ArgumentNullException(nameof(labelerForRound));

    /// <inheritdoc/>
    public IReadOnlyList<string> KeptOnRedo => [];

    /// <inheritdoc/>
    public RoundLabels? Label(int round, IReadOnlyList<RlPrompt> prompts, IReadOnlyList<IReadOnlyList<string>> completions, string roundDirectory,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(completions);
        var labeler = _labelerForRound(round);
        var records = new List<RankedCompletions>(prompts.Count);
        for (int p = 0; p < prompts.Count; p++)
            records.Add(new RankedCompletions(prompts[p].Prompt, completions[p], labeler.Rank(prompts[p].Prompt, completions[p]), []) { Messages = prompts[p].Messages });
        return new RoundLabels(new PreferenceData(PreferenceFormat.Ranked, records), new Dictionary<string, double>());
    }
}
