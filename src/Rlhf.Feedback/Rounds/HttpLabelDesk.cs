using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Rlhf.Feedback.Storage;
using Rlhf.Feedback.Web;

namespace Rlhf.Feedback.Rounds;

/// <summary>
/// A running label app reached over HTTP with an admin token (<c>--labeler humans:https://labels.example.org/</c>):
/// enqueue by <c>POST /api/tasks</c> (in bodies under the app's 64 KiB limit), read labels by
/// <c>GET /api/labels?after=</c>, page by page. Enqueue is idempotent on the server (by content), so a request whose
/// answer was lost is simply sent again; a transport error or 5xx is retried a few times with back-off, a 4xx is
/// reported at once with the server's message.
/// </summary>
public sealed class HttpLabelDesk : ILabelDesk
{
    /// <summary>Largest enqueue body sent at once, in bytes (the app refuses bodies over <c>--max-body-kb</c>, 64 KiB by default).</summary>
    public const int MaxBodyBytes = 48 * 1024;

    private const int Attempts = 4;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    /// <summary>A desk at <paramref name="server"/> authenticated by the admin <paramref name="adminToken"/>; <paramref name="handler"/> for tests.</summary>
    public HttpLabelDesk(Uri server, string adminToken, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrWhiteSpace(adminToken);
        if (server.Scheme is not ("http" or "https")) throw new ArgumentException($"label server '{server}' must be an http(s) address", nameof(server));
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        _http.Timeout = TimeSpan.FromSeconds(100);
    }

    /// <inheritdoc/>
    public string Location => _http.BaseAddress!.AbsoluteUri;

    /// <inheritdoc/>
    public IReadOnlyList<long> Enqueue(IReadOnlyList<LabelTaskInput> tasks, string source)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var ids = new List<long>(tasks.Count);
        var chunk = new List<LabelTaskInput>();
        int bytes = 0;
        foreach (var task in tasks)
        {
            int size = JsonSerializer.SerializeToUtf8Bytes(task, Json).Length;
            if (size > MaxBodyBytes) throw new FeedbackException(FeedbackError.TooLarge, $"a task of {size} bytes is larger than one request to {Location} may be ({MaxBodyBytes} bytes)");
            if (chunk.Count > 0 && bytes + size > MaxBodyBytes) Flush();
            chunk.Add(task);
            bytes += size + 1;
        }
        if (chunk.Count > 0) Flush();
        return ids;

        void Flush()
        {
            var answer = Send(() => _http.PostAsJsonAsync("api/tasks", new EnqueueRequest(chunk), Json).GetAwaiter().GetResult(), "POST api/tasks");
            var got = answer.GetProperty("ids").Deserialize<long[]>(Json) ?? [];
            if (got.Length != chunk.Count) throw new InvalidDataException($"{Location}: POST api/tasks answered {got.Length} ids for {chunk.Count} tasks");
            ids.AddRange(got);
            (chunk, bytes) = ([], 0);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredLabel> LabelsAfter(long afterId)
    {
        var all = new List<StoredLabel>();
        for (;;)
        {
            string path = $"api/labels?after={afterId}&limit={FeedbackApi.MaxLabelsPage}";
            var page = Send(() => _http.GetAsync(path).GetAwaiter().GetResult(), "GET " + path).GetProperty("labels").Deserialize<List<StoredLabel>>(Json) ?? [];
            all.AddRange(page);
            if (page.Count < FeedbackApi.MaxLabelsPage) return all;
            afterId = page[^1].Id;
        }
    }

    /// <summary>Sends with retries on transport errors and 5xx; the JSON answer of a 2xx, else a <see cref="FeedbackException"/> with the server's message.</summary>
    private JsonElement Send(Func<HttpResponseMessage> send, string what)
    {
        for (int attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try { response = send(); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (attempt < Attempts) { Thread.Sleep(250 << attempt); continue; }
                throw new IOException($"{what} on {Location}: no answer after {Attempts} attempts ({e.Message})", e);
            }
            using (response)
            {
                string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode) return JsonDocument.Parse(body).RootElement.Clone();
                if ((int)response.StatusCode >= 500 && attempt < Attempts) { Thread.Sleep(250 << attempt); continue; }
                string message = TryError(body) ?? body;
                throw new FeedbackException(ErrorOf(response.StatusCode), $"{what} on {Location}: {(int)response.StatusCode} {message}");
            }
        }
    }

    private static string? TryError(string body)
    {
        try { return JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var e) ? e.GetString() : null; }
        catch (JsonException) { return null; }
    }

    private static FeedbackError ErrorOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => FeedbackError.Unauthorized,
        HttpStatusCode.Forbidden => FeedbackError.Forbidden,
        HttpStatusCode.NotFound => FeedbackError.NotFound,
        HttpStatusCode.Conflict => FeedbackError.Conflict,
        HttpStatusCode.RequestEntityTooLarge => FeedbackError.TooLarge,
        HttpStatusCode.UnsupportedMediaType => FeedbackError.UnsupportedMediaType,
        _ => FeedbackError.Invalid,
    };

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
