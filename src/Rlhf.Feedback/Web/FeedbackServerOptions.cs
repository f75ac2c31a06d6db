using System.Net;

namespace Rlhf.Feedback.Web;

/// <summary>
/// How <see cref="FeedbackServer"/> listens and hands out work. Binds to loopback unless <see cref="Address"/> says
/// otherwise (the page and API have no TLS: expose them only through something that adds it);
/// a non-loopback address is refused unless the database has an admin labeler. Port 0 picks a free port.
/// </summary>
public sealed record FeedbackServerOptions
{
    /// <summary>Address to listen on (default 127.0.0.1).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 = any free port (tests).</summary>
    public int Port { get; init; } = 5000;

    /// <summary>Labels wanted per task: above 1, several labelers see the same task and agreement can be measured.</summary>
    public int LabelsPerTask { get; init; } = 1;

    /// <summary>How long a task handed to a labeler is kept from others.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Largest request body accepted; larger ones get 413 before they are read.</summary>
    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Largest total size of the request headers; larger gets 431 with a JSON body.</summary>
    public int MaxRequestHeadersBytes { get; init; } = 16 * 1024;

    /// <summary>
    /// Requests per minute one client may make (a token bucket refilled every second; burst = a tenth of a minute's
    /// worth, at least 10). A client is its token when it sends one, else its IP address (behind a reverse proxy: the
    /// proxy's, so rate-limit unauthenticated traffic there too). 0 turns limiting off. Over the limit: 429 with
    /// <c>Retry-After</c>.
    /// </summary>
    public int RateLimitPerMinute { get; init; } = 600;

    /// <summary>Where unexpected server errors are written (default: standard error).</summary>
    public TextWriter? ErrorLog { get; init; }
}
