namespace Rlhf.Data.Progress;

/// <summary>
/// Where trainers show progress: each run (or phase of one, e.g. DPO's reference log-probs) starts a display with
/// <see cref="Start"/>. The CLI passes one that draws on the console; library callers that pass none get
/// <see cref="NullProgress"/>.
/// </summary>
public interface IProgressReporter
{
    /// <summary>
    /// Starts showing progress of <paramref name="title"/> towards <paramref name="totalSteps"/>; a resumed run
    /// passes its first step as <paramref name="startStep"/> so that speed and ETA count only this session.
    /// </summary>
    ITrainingProgress Start(string title, int totalSteps, int startStep = 0);
}
