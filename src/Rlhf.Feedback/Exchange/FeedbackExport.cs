using Rlhf.Feedback.Storage;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Exchange;

/// <summary>
/// Labels out of the database as preference data the reward model reads (<see cref="PreferenceData.Load"/>):
/// ranked records <c>{"prompt", "completions", "ranking", "ties"?}</c>, one per label (a task labeled by three people
/// gives three records: separate judgements), or, on request, pairwise <c>{"prompt", "chosen", "rejected"}</c>, every
/// comparison a ranking implies (tied pairs and pairs of identical texts carry no preference and are left out).
/// </summary>
public static class FeedbackExport
{
    /// <summary>The labels as preference data, in storage order. <paramref name="excludeFlagged"/> drops labels marked all-bad or unsafe.</summary>
    public static PreferenceData ToPreferenceData(IEnumerable<StoredLabel> labels, PreferenceFormat format, bool excludeFlagged = false)
    {
        var ranked = labels.Where(l => !excludeFlagged || !(l.AllBad || l.Unsafe))
            .Select(l => new RankedCompletions(l.Task.Prompt, l.Task.Completions, l.Ranking, l.Ties)).ToList();
        if (format == PreferenceFormat.Ranked) return new PreferenceData(PreferenceFormat.Ranked, ranked);
        var pairs = new PreferenceData(PreferenceFormat.Ranked, ranked).ExpandPairs()
            .Where(p => p.Pair.Chosen != p.Pair.Rejected)
            .Select(p => p.Pair.ToRanked()).ToList();
        return new PreferenceData(PreferenceFormat.Pairwise, pairs);
    }

    /// <summary>Writes the store's labels to <paramref name="path"/> atomically; returns the number of records.</summary>
    public static int Write(FeedbackStore store, string path, PreferenceFormat format, bool excludeFlagged = false)
    {
        ArgumentNullException.ThrowIfNull(store);
        return PreferenceData.Write(path, ToPreferenceData(store.Labels(), format, excludeFlagged));
    }
}
