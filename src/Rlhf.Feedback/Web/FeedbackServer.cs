using System.Text.Json;
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
/// change nothing.
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
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
        });
        var app = builder.Build();
        var errors = options.ErrorLog ?? Console.Error;

        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
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
        _ => StatusCodes.Status400BadRequest,
    };

    private static async Task WriteError(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (status == StatusCodes.Status413PayloadTooLarge) context.Response.Headers.Connection = "close"; // the rest of the body is not read
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = message }));
    }
}
