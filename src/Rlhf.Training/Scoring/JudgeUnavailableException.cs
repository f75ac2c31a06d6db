namespace Rlhf.Training.Scoring;

/// <summary>A judge endpoint could not give a verdict after its retries (timeout, connection refused, HTTP error).</summary>
public sealed class JudgeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
