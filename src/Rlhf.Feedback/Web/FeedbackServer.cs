using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Web;

/// <summary>
/// The labeling web app: Kestrel serving the single page (<c>/</c>), the overview (<c>/overview</c>) and a small JSON
/// API (<see cref="FeedbackApi"/>) over a <see cref="FeedbackStore"/>.
/// <para>
/// Safety: every API call needs a labeler token (<c>Authorization: Bearer</c>); request bodies above
/// <see cref="FeedbackServerOptions.MaxRequestBodyBytes"/> are refused with 413; every response carries a
/// Content-Security-Policy allowing only this server's own scripts and styles (no inline script), so even markup that
/// slipped into the DOM could not run; refused requests get a JSON <c>{"error": "..."}</c> with a 4xx status and
/// change nothing — so do unknown paths (404), wrong methods (405), oversized headers (431) and rate-limited clients
/// (429, <see cref="FeedbackServerOptions.RateLimitPerMinute"/>, ASP.NET Core's rate limiter). A server listening on a
/// non-loopback address is refused unless the database has an admin labeler (someone must be able to see and stop
/// what happens on it).
/// </para>
/// </summary>
public sealed class FeedbackServer : IAsyncDisposable
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private readonly WebApplication _app;

    private FeedbackServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The base address the server listens on, e.g. <c>http://127.0.0.1:5000/</c>.</summary>
    public Uri Address { get; }

    /// <summary>Builds and starts the server; returns once it accepts connections.</summary>
    public static async Task<FeedbackServer> StartAsync(FeedbackStore store, FeedbackServerOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.LabelsPerTask);
        ArgumentOutOfRangeException.ThrowIfNegative(options.RateLimitPerMinute);
        if (!IPAddress.IsLoopback(options.Address) && !store.HasActiveAdmin())
            throw new FeedbackException(FeedbackError.Forbidden,
                $"refusing to listen on {options.Address} without an admin labeler: create one first ('rlhf label add-labeler --admin'), and put an HTTPS reverse proxy in front (docs/labeling.md)");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FeedbackServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders(); // our own error log below; no per-request console chatter
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Address, options.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            // Kestrel answers oversized headers itself with an empty 431; it gets 4x room and the middleware below
            // refuses at the configured size with a JSON body
            k.Limits.MaxRequestHeadersTotalSize = Math.Max(32 * 1024, 4 * options.MaxRequestHeadersBytes);
        });
        if (options.RateLimitPerMinute > 0) builder.Services.AddRateLimiter(r => ConfigureRateLimits(r, options.RateLimitPerMinute));
        var app = builder.Build();
        var errors = options.ErrorLog ?? Console.Error;

        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            long headerBytes = context.Request.Headers.Sum(h => h.Key.Length + 4L + h.Value.Sum(v => (long)(v?.Length ?? 0)));
            if (headerBytes > options.MaxRequestHeadersBytes)
            {
                await WriteError(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, $"request headers are {headerBytes} bytes; the limit is {options.MaxRequestHeadersBytes} bytes");
                return;
            }
            try { await next(context); }
            catch (FeedbackException e) { await WriteError(context, StatusOf(e.Error), e.Message); }
            catch (BadHttpRequestException e)
            {
                string message = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"request body too large: the limit is {options.MaxRequestBodyBytes} bytes" : e.Message;
                await WriteError(context, e.StatusCode, message);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                lock (errors) errors.WriteLine($"error: {context.Request.Method} {context.Request.Path}: {e}");
                await WriteError(context, StatusCodes.Status500InternalServerError, "internal server error (see the server's log)");
            }
        });

        // routing and endpoints that answer with no body (unknown path 404, wrong method 405) get a JSON error too
        app.UseStatusCodePages(async status =>
        {
            var c = status.HttpContext;
            string message = c.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no such page or endpoint: {c.Request.Method} {Shorten(c.Request.Path.Value)}",
                StatusCodes.Status405MethodNotAllowed => $"{c.Request.Method} is not allowed on {Shorten(c.Request.Path.Value)}",
                int code => $"request refused ({code})",
            };
            await WriteError(c, c.Response.StatusCode, message);
        });
        if (options.RateLimitPerMinute > 0) app.UseRateLimiter();
        new FeedbackApi(store, options).Map(app);
        app.MapGet("/", () => EmbeddedAssets.Serve("index.html"));
        app.MapGet("/overview", () => EmbeddedAssets.Serve("overview.html"));
        app.MapGet("/{file}", (string file) => EmbeddedAssets.Serve(file)); // only the embedded files exist; anything else is 404

        await app.StartAsync(cancel);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FeedbackServer(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    /// <summary>Runs until <paramref name="cancel"/> fires (Ctrl+C in the CLI), then stops gracefully.</summary>
    public async Task WaitAsync(CancellationToken cancel)
    {
        try { await Task.Delay(Timeout.Infinite, cancel); }
        catch (OperationCanceledException) { }
        await _app.StopAsync(CancellationToken.None);
    }

    /// <summary>Stops the server and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    /// <summary>The HTTP status of each refusal kind.</summary>
    internal static int StatusOf(FeedbackError error) => error switch
    {
        FeedbackError.Invalid => StatusCodes.Status400BadRequest,
        FeedbackError.Unauthorized => StatusCodes.Status401Unauthorized,
        FeedbackError.Forbidden => StatusCodes.Status403Forbidden,
        FeedbackError.NotFound => StatusCodes.Status404NotFound,
        FeedbackError.Conflict => StatusCodes.Status409Conflict,
        FeedbackError.TooLarge => StatusCodes.Status413PayloadTooLarge,
        FeedbackError.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>
    /// One token bucket per client: its bearer token's hash when it sends one (a labeler), else its IP address. The
    /// bucket holds a tenth of a minute's requests (at least 10) and refills every second; a rejected request gets 429
    /// with <c>Retry-After</c> and a JSON error.
    /// </summary>
    private static void ConfigureRateLimits(RateLimiterOptions r, int perMinute)
    {
        int burst = Math.Max(10, perMinute / 10);
        r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            RateLimitPartition.GetTokenBucketLimiter(ClientKey(context), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = Math.Max(1, perMinute / 60),
                ReplenishmentPeriod = TimeSpan.FromSeconds(perMinute >= 60 ? 1 : 60.0 / perMinute),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        r.OnRejected = async (rejected, _) =>
        {
            rejected.HttpContext.Response.Headers.RetryAfter = "1";
            await WriteError(rejected.HttpContext, StatusCodes.Status429TooManyRequests, $"too many requests: at most {perMinute} per minute per labeler; wait a moment and retry");
        };
    }

    private static string ClientKey(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization.FirstOrDefault();
        return header is { Length: > 7 } && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? "token:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim())))
            : "ip:" + context.Connection.RemoteIpAddress;
    }

    private static string Shorten(string? s) => s is null ? "" : s.Length <= 60 ? s : s[..60] + "…";

    private static async Task WriteError(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (status == StatusCodes.Status413PayloadTooLarge) context.Response.Headers.Connection = "close"; // the rest of the body is not read
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = message }));
    }
}
