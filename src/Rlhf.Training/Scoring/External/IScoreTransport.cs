
namespace Rlhf.Training.Scoring;

/// <summary>Carries one batch to an external scorer and brings back its raw reply (HTTP POST, or a line to a child process).</summary>
public interface IScoreTransport : IDisposable
{
    /// <summary>Where the scores come from, e.g. <c>http://127.0.0.1:8000/score</c> or <c>cmd:python3 score.py</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Sends <paramref name="requestJson"/> (one line of JSON, <see cref="ExternalScoreProtocol.Request"/>) and returns the
    /// reply text; throws <see cref="ExternalScorerException"/> when no reply came within <paramref name="timeout"/> or the
    /// transport failed.
    /// </summary>
    string Exchange(string requestJson, TimeSpan timeout);

    /// <summary>Drops any state a failed exchange may have left (a child process's unread output); a no-op for stateless transports.</summary>
    void Reset();
}
