namespace Rlhf.Training.Logging;

/// <summary>
/// Where a running trainer reports progress: the step it finished (with its loss and throughput) and messages that
/// must not garble a live display. The library writes only to this; the console rendering is
/// <see cref="TrainingProgress"/>.
/// </summary>
public interface ITrainingProgress
{
    /// <summary>Reports that <paramref name="step"/> (of the total) finished with this loss and throughput.</summary>
    void Update(int step, double loss, double tokensPerSecond);

    /// <summary>Writes a message line beside the progress display.</summary>
    void Log(string message);
}
