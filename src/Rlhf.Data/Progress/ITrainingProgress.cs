namespace Rlhf.Data.Progress;

/// <summary>
/// One running progress display, started by <see cref="IProgressReporter.Start"/>: a trainer reports each step it
/// finished (with its loss and throughput) and messages that must not garble a live display, and disposes it when the
/// run ends. The libraries write only to this; the console rendering (a Spectre.Console bar or plain lines) lives in
/// the CLI.
/// </summary>
public interface ITrainingProgress : IDisposable
{
    /// <summary>Reports that <paramref name="step"/> (of the total) finished with this loss and throughput.</summary>
    void Update(int step, double loss, double tokensPerSecond);

    /// <summary>Writes a message line beside the progress display.</summary>
    void Log(string message);
}
