namespace Rlhf.Training.Common;

/// <summary>
/// A training run cannot start or continue as asked: no checkpoint to resume, settings that differ from the
/// checkpoint's, too little data, an output directory that already holds a run. The message says what to do; the CLI
/// prints it without a stack trace.
/// </summary>
public sealed class TrainingException(string message, Exception? inner = null) : Exception(message, inner);
