namespace Rlhf.Feedback.Storage;

/// <summary>Why a request to the store was refused; the web API maps each to one HTTP status.</summary>
public enum FeedbackError
{
    /// <summary>Malformed or invalid input (400).</summary>
    Invalid,

    /// <summary>Missing or unknown labeler token (401).</summary>
    Unauthorized,

    /// <summary>The labeler may not do this, e.g. a non-admin asking for the overview (403).</summary>
    Forbidden,

    /// <summary>No such task (404).</summary>
    NotFound,

    /// <summary>The request contradicts stored data, e.g. a second, different label for the same task (409).</summary>
    Conflict,

    /// <summary>The request body is larger than the server accepts (413).</summary>
    TooLarge,

    /// <summary>The request body is not JSON (<c>Content-Type</c> other than <c>application/json</c>) (415).</summary>
    UnsupportedMediaType,
}
