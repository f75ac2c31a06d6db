namespace Rlhf.Data.Progress;

/// <summary>Progress that shows nothing: the default of every trainer when no <see cref="IProgressReporter"/> is given.</summary>
public sealed class NullProgress : IProgressReporter, ITrainingProgress
{
    /// <summary>The one instance (it has no state).</summary>
    public static NullProgress Instance { get; } = new();

    private NullProgress() { }

    /// <inheritdoc/>
    public ITrainingProgress Start(string title, int totalSteps, int startStep = 0)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(startStep);
        return this;
    }

    /// <inheritdoc/>
    public void Update(int step, double loss, double tokensPerSecond) { }

    /// <inheritdoc/>
    public void Log(string message) => ArgumentNullException.ThrowIfNull(message);

    /// <inheritdoc/>
    public void Dispose() { }
}
