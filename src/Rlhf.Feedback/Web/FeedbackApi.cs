using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rlhf.Feedback.Exchange;
using Rlhf.Feedback.Quality;
using Rlhf.Feedback.Storage;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Web;

/// <summary>
/// The JSON API behind the page. Every call authenticates the labeler by token first.
/// <list type="bullet">
/// <item><c>GET /api/next</c> → <c>{"task": TaskView | null, "progress": LabelerProgress}</c>: the next task, leased to the caller.</item>
/// <item><c>POST /api/tasks/{id}/labels</c> with a <see cref="SubmitRequest"/> → 201 <c>{"labelId", "duplicate": false}</c>,
/// or 200 with <c>"duplicate": true</c> for a retry of a stored submission.</item>
/// <item><c>GET /api/me</c> → the caller's progress.</item>
/// <item><c>GET /api/overview</c> (admins) → <see cref="FeedbackOverview"/>.</item>
/// <item><c>GET /api/export?format=ranked|pairwise&amp;excludeFlagged=false&amp;minQuality=0.7&amp;weighted=true</c> (admins) → the JSONL file <c>rlhf label export</c> writes.</item>
/// <item><c>POST /api/tasks</c> (admins) with <c>{"tasks": [{"prompt", "completions"}, …]}</c> → <c>{"added", "skipped", "ids"}</c>:
/// enqueue over HTTP; <c>ids</c> holds the task id of each input, in order (an input already queued gets its existing id).</item>
/// <item><c>GET /api/labels?after=0&amp;limit=1000</c> (admins) → <c>{"labels": [StoredLabel, …]}</c>: the stored labels with
/// ids above <c>after</c>, oldest first, with their tasks (what a remote reader needs to follow a round and weigh labelers).</item>
/// </list>
/// Request bodies must be <c>Content-Type: application/json</c> (else 415) and are read strictly: numbers must be JSON
/// integers (no strings, no fractions), and a malformed body is reported by its JSON path, never by a .NET type name.
/// </summary>
internal sealed class FeedbackApi(FeedbackStore store, FeedbackServerOptions options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>For request bodies: the web defaults would read <c>"2"</c> as the integer 2; labels must be exact.</summary>
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };

    private const string SubmitShape = "expected {\"submissionId\": text, \"ranking\": [integers, best first], \"ties\"?: [[integers]], \"allBad\"?: true|false, \"unsafe\"?: true|false, \"unsafeCompletions\"?: [integers], \"sawCritiques\"?: true|false, \"elapsedMs\": integer}";

    private const string EnqueueShape = "expected {\"tasks\": [{\"prompt\": text, \"completions\": [text, …], \"messages\"?: [{\"role\", \"content\"}], \"critiques\"?: [text or null], \"gold\"?: [integers]}, …]}";

    /// <summary>Adds the endpoints to <paramref name="app"/>.</summary>
    public void Map(WebApplication app)
    {
        app.MapGet("/api/me", (HttpContext c) => Results.Json(store.Progress(Caller(c), options.LabelsPerTask), Json));
        app.MapGet("/api/next", Next);
        app.MapPost("/api/tasks/{id}/labels", SubmitAsync);
        app.MapGet("/api/overview", Overview);
        app.MapGet("/api/export", Export);
        app.MapPost("/api/tasks", (Delegate)EnqueueAsync);
        app.MapGet("/api/labels", LabelsAfter);
    }

    private IResult Next(HttpContext context)
    {
        var labeler = Caller(context);
        var task = store.NextTask(labeler, options.LabelsPerTask, options.Lease);
        return Results.Json(new { task = task is null ? null : View(task, labeler), progress = store.Progress(labeler, options.LabelsPerTask) }, Json);
    }

    private IResult Overview(HttpContext context)
    {
        RequireAdmin(Caller(context));
        return Results.Json(store.Overview(options.LabelsPerTask), Json);
    }

    private async Task<IResult> SubmitAsync(HttpContext context, string id)
    {
        var labeler = Caller(context);
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long taskId))
            throw new FeedbackException(FeedbackError.NotFound, $"task '{Shorten(id)}' does not exist (task ids are positive integers)");
        var body = await ReadJsonAsync<SubmitRequest>(context, SubmitShape);
        if (body.SubmissionId is null) throw new FeedbackException(FeedbackError.Invalid, "missing 'submissionId' (one id per label, re-sent on retries)");
        if (body.Ranking is null) throw new FeedbackException(FeedbackError.Invalid, "missing 'ranking' (completion indices, best first)");
        if (body.ElapsedMs is null) throw new FeedbackException(FeedbackError.Invalid, "missing 'elapsedMs' (milliseconds from showing the task to submitting)");
        var result = store.Submit(labeler, taskId, new LabelSubmission(body.SubmissionId, body.Ranking, body.Ties ?? [],
            body.AllBad ?? false, body.Unsafe ?? false, body.ElapsedMs)
        {
            UnsafeCompletions = body.UnsafeCompletions ?? [],
            SawCritiques = body.SawCritiques ?? false,
        }, options.LabelsPerTask);
        return Results.Json(new { labelId = result.LabelId, duplicate = result.Duplicate }, Json,
            statusCode: result.Duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created);
    }

    private async Task<IResult> EnqueueAsync(HttpContext context)
    {
        RequireAdmin(Caller(context));
        var body = await ReadJsonAsync<EnqueueRequest>(context, EnqueueShape);
        if (body.Tasks is null) throw new FeedbackException(FeedbackError.Invalid, "missing 'tasks' (a list of {\"prompt\", \"completions\"})");
        var (ids, added) = store.EnqueueTasks(body.Tasks, "api");
        return Results.Json(new { added, skipped = ids.Count - added, ids }, Json);
    }

    /// <summary>Largest page of <c>GET /api/labels</c>.</summary>
    public const int MaxLabelsPage = 1000;

    private IResult LabelsAfter(HttpContext context)
    {
        RequireAdmin(Caller(context));
        long after = Query(context, "after", 0, long.MaxValue) ?? 0;
        int limit = (int)(Query(context, "limit", 1, MaxLabelsPage) ?? MaxLabelsPage);
        return Results.Json(new { labels = store.Labels(after, limit) }, Json);
    }

    /// <summary>An integer query parameter in [min, max], null when absent; 400 naming it otherwise.</summary>
    private static long? Query(HttpContext context, string name, long min, long max) =>
        context.Request.Query[name].FirstOrDefault() is not { } text ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max ? v
        : throw new FeedbackException(FeedbackError.Invalid, $"'{name}' must be an integer from {min} to {max} (got '{Shorten(text)}')");

    /// <summary>
    /// Reads a JSON request body: 413 above the size limit, 415 unless <c>Content-Type: application/json</c>, 400 for
    /// an empty or malformed body, naming where it went wrong (JSON path, line, byte) and <paramref name="shape"/>.
    /// </summary>
    private async Task<T> ReadJsonAsync<T>(HttpContext context, string shape) where T : class
    {
        if (context.Request.ContentLength > options.MaxRequestBodyBytes)
            throw new FeedbackException(FeedbackError.TooLarge, $"request body is {context.Request.ContentLength} bytes; the limit is {options.MaxRequestBodyBytes} bytes");
        if (!context.Request.HasJsonContentType())
            throw new FeedbackException(FeedbackError.UnsupportedMediaType,
                $"request body must be sent as 'Content-Type: application/json' (got '{Shorten(context.Request.ContentType ?? "none")}')");
        T? body;
        try { body = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Strict, context.RequestAborted); }
        catch (JsonException e)
        {
            string where = e.Path is null or "$" ? "" : $" at {e.Path}";
            string line = e.LineNumber is { } l ? $" (line {l + 1}, byte {e.BytePositionInLine + 1})" : "";
            throw new FeedbackException(FeedbackError.Invalid, $"request body is not the expected JSON{where}{line}: {shape}");
        }
        return body ?? throw new FeedbackException(FeedbackError.Invalid, $"request body is empty or null; {shape}");
    }

    private async Task Export(HttpContext context)
    {
        RequireAdmin(Caller(context));
        string format = context.Request.Query["format"].FirstOrDefault() ?? "ranked";
        var kind = format switch
        {
            "ranked" => PreferenceFormat.Ranked,
            "pairwise" => PreferenceFormat.Pairwise,
            _ => throw new FeedbackException(FeedbackError.Invalid, $"unknown export format '{Shorten(format)}' (expected 'ranked' or 'pairwise')"),
        };
        bool exclude = context.Request.Query["excludeFlagged"].FirstOrDefault() is "true" or "1";
        double? minQuality = context.Request.Query["minQuality"].FirstOrDefault() is { } q
            ? double.TryParse(q, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v is >= 0 and <= 1 ? v
                : throw new FeedbackException(FeedbackError.Invalid, $"minQuality '{Shorten(q)}' is not a number between 0 and 1")
            : null;
        // the same writer as `rlhf label export` (atomic file), then streamed: one code path for both
        string temp = Path.Combine(Path.GetTempPath(), $"rlhf-export-{Guid.NewGuid():N}.jsonl");
        try
        {
            bool weighted = context.Request.Query["weighted"].FirstOrDefault() is "true" or "1";
            FeedbackExport.Write(store, temp, new FeedbackExport.Options(kind, exclude, minQuality, weighted));
            context.Response.ContentType = "application/x-ndjson; charset=utf-8";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{(kind == PreferenceFormat.Pairwise ? "pairs" : "rankings")}.jsonl\"";
            await context.Response.SendFileAsync(temp, context.RequestAborted);
        }
        finally { File.Delete(temp); }
    }

    /// <summary>The task with completions in a per-labeler shuffled order, so no completion is always seen first (position bias).</summary>
    private static TaskView View(FeedbackTask task, Labeler labeler)
    {
        var order = DisplayOrder.Of(task.Id, labeler.Id, task.Completions.Count);
        return new TaskView(task.Id, task.Prompt, order.ConvertAll(i => new CompletionView(i, task.Completions[i], task.Critiques?[i] is { Length: > 0 } c ? c : null)), task.Messages);
    }

    private Labeler Caller(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization.FirstOrDefault();
        string? token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        return store.Authenticate(token);
    }

    private static void RequireAdmin(Labeler labeler)
    {
        if (!labeler.IsAdmin)
            throw new FeedbackException(FeedbackError.Forbidden, $"{labeler.Name} is not an admin: the overview, export and enqueue need a token from 'rlhf label add-labeler --admin'");
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
