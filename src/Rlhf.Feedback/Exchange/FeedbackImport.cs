using Rlhf.Feedback.Storage;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Exchange;

/// <summary>
/// Rankings made elsewhere (another tool, <c>rlhf label simulate</c>, a previous export) into the database. The file
/// is read with the reward model's own parser (<see cref="PreferenceData.Load"/>), so a bad line fails the whole import
/// with <c>path:line: what was expected</c> before anything is written.
/// </summary>
public static class FeedbackImport
{
    /// <summary>Loads <paramref name="path"/> and stores every record as a label by <paramref name="labeler"/>; see <see cref="FeedbackStore.Import"/>.</summary>
    public static (int Imported, int Existing, int Skipped) Run(FeedbackStore store, string path, string labeler)
    {
        ArgumentNullException.ThrowIfNull(store);
        var data = PreferenceData.Load(path);
        return store.Import(data, labeler, "import:" + Path.GetFileName(path));
    }
}
