using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rlhf.Feedback.Exchange;
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
/// <item><c>GET /api/export?format=ranked|pairwise&amp;excludeFlagged=false</c> (admins) → the JSONL file <c>rlhf label export</c> writes.</item>
/// </list>
/// </summary>
internal sealed class FeedbackApi(FeedbackStore store, FeedbackServerOptions options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Adds the endpoints to <paramref name="app"/>.</summary>
    public void Map(WebApplication app)
    {
        app.MapGet("/api/me", (HttpContext c) => Results.Json(store.Progress(Caller(c), options.LabelsPerTask), Json));
        app.MapGet("/api/next", Next);
        app.MapPost("/api/tasks/{id}/labels", SubmitAsync);
        app.MapGet("/api/overview", Overview);
        app.MapGet("/api/export", Export);
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
        if (context.Request.ContentLength > options.MaxRequestBodyBytes)
            throw new FeedbackException(FeedbackError.TooLarge, $"request body is {context.Request.ContentLength} bytes; the limit is {options.MaxRequestBodyBytes} bytes");
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long taskId))
            throw new FeedbackException(FeedbackError.NotFound, $"task '{Shorten(id)}' does not exist (task ids are positive integers)");
        SubmitRequest? body;
        try { body = await JsonSerializer.DeserializeAsync<SubmitRequest>(context.Request.Body, Json, context.RequestAborted); }
        catch (JsonException e) { throw new FeedbackException(FeedbackError.Invalid, $"request body is not the expected JSON: {e.Message}"); }
        if (body is null) throw new FeedbackException(FeedbackError.Invalid, "request body is empty; expected {\"submissionId\", \"ranking\", \"ties\"?, \"allBad\"?, \"unsafe\"?}");
        if (body.SubmissionId is null) throw new FeedbackException(FeedbackError.Invalid, "missing 'submissionId' (one id per label, re-sent on retries)");
        if (body.Ranking is null) throw new FeedbackException(FeedbackError.Invalid, "missing 'ranking' (completion indices, best first)");
        var result = store.Submit(labeler, taskId, new LabelSubmission(body.SubmissionId, body.Ranking, body.Ties ?? [],
            body.AllBad ?? false, body.Unsafe ?? false, body.ElapsedMs));
        return Results.Json(new { labelId = result.LabelId, duplicate = result.Duplicate }, Json,
            statusCode: result.Duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created);
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
        // the same writer as `rlhf label export` (atomic file), then streamed: one code path for both
        string temp = Path.Combine(Path.GetTempPath(), $"rlhf-export-{Guid.NewGuid():N}.jsonl");
        try
        {
            FeedbackExport.Write(store, temp, kind, exclude);
            context.Response.ContentType = "application/x-ndjson; charset=utf-8";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{(kind == PreferenceFormat.Pairwise ? "pairs" : "rankings")}.jsonl\"";
            await context.Response.SendFileAsync(temp, context.RequestAborted);
        }
        finally { File.Delete(temp); }
    }

    /// <summary>The task with completions in a per-labeler shuffled order, so no completion is always seen first (position bias).</summary>
    private static TaskView View(FeedbackTask task, Labeler labeler)
    {
        var order = Enumerable.Range(0, task.Completions.Count)
            .OrderBy(i => BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{task.Id}/{labeler.Id}/{i}"))))
            .ToList();
        return new TaskView(task.Id, task.Prompt, order.ConvertAll(i => new CompletionView(i, task.Completions[i])));
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
            throw new FeedbackException(FeedbackError.Forbidden, $"{labeler.Name} is not an admin: the overview and export need a token from 'rlhf label add-labeler --admin'");
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
