namespace Rlhf.Training.Scoring;

/// <summary>An external scorer (HTTP server or child process) failed on one batch: unreachable, timed out, an HTTP error, or a reply that is not a list of one number per sample.</summary>
public sealed class ExternalScorerException(string message, Exception? inner = null) : Exception(message, inner);
