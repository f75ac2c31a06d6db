using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;

namespace Rlhf.Training.Online;

/// <summary>
/// The labeling half of an online round, for a whole round at once: given each prompt's K samples, the rankings that
/// came back. <see cref="PanelRoundLabeler"/> asks an <see cref="Labeling.ILabeler"/> per prompt (simulated panels,
/// reward models: instant and deterministic); a labeler of people enqueues the round in a label store and waits
/// (<c>rlhf online --labeler humans:…</c>), so it may take hours, be stopped, and resume.
/// </summary>
public interface IRoundLabeler
{
    /// <summary>
    /// Files in the round directory this labeler keeps when an interrupted round is redone (e.g. which store tasks
    /// belong to the round), so a resume goes on waiting for the same people's answers instead of asking again.
    /// Everything else in the directory is deleted.
    /// </summary>
    IReadOnlyList<string> KeptOnRedo { get; }

    /// <summary>
    /// Rankings of round <paramref name="round"/>'s groups (<paramref name="prompts"/>[i] with its samples
    /// <paramref name="completions"/>[i]; records of a conversational prompt carry its messages), with metrics to log for the round; null when <paramref name="cancel"/>
    /// stopped it (the loop then stops, and a resume redoes the round). <paramref name="roundDirectory"/> exists.
    /// </summary>
    RoundLabels? Label(int round, IReadOnlyList<RlPrompt> prompts, IReadOnlyList<IReadOnlyList<string>> completions, string roundDirectory,
        CancellationToken cancel = default);
}

/// <summary>What a round's labeling gave: the rankings (one record per label) and metrics for the round's line in <c>metrics.jsonl</c>.</summary>
public sealed record RoundLabels(PreferenceData Rankings, IReadOnlyDictionary<string, double> Metrics);
