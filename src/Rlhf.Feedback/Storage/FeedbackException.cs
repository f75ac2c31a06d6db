using Rlhf.Data;

namespace Rlhf.Feedback.Storage;

/// <summary>
/// A refused request with a message meant for the person who made it. Nothing was written when it is thrown.
/// Derives from <see cref="IOException"/> (as DataFormatException does) so command-line verbs report it as a user error.
/// </summary>
public sealed class FeedbackException(FeedbackError error, string message) : IOException(message)
{
    /// <summary>What kind of refusal this is.</summary>
    public FeedbackError Error { get; } = error;
}
