using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Rlhf.Feedback.Web;

/// <summary>
/// The label app's API as one labeler uses it, from a program: <see cref="Next"/> (<c>GET /api/next</c>) and
/// <see cref="Submit"/> (<c>POST /api/tasks/{id}/labels</c>). A submit is retried with the same submission id on a
/// transport error or 5xx (the server answers a repeat with the stored label), and waits out a 429's Retry-After,
/// so a label the server acknowledged is never stored twice and one it did not is sent again.
/// </summary>
public sealed class LabelerClient : IDisposable
{
    private const int Attempts = 6;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    /// <summary>A client of <paramref name="server"/> signed in with <paramref name="token"/>; <paramref name="handler"/> for tests.</summary>
    public LabelerClient(Uri server, string token, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The next task handed to this labeler (leased to them), or null when none is open for them now.</summary>
    public TaskView? Next()
    {
        using var response = Send(() => _http.GetAsync("api/next").GetAwaiter().GetResult());
        Ensure(response, "GET api/next");
        var answer = response.Content.ReadFromJsonAsync<NextAnswer>(Json).GetAwaiter().GetResult();
        return answer?.Task;
    }

    /// <summary>Submits a label for task <paramref name="taskId"/>; the stored label id and whether it was a repeat. A refusal (4xx) throws with the server's message.</summary>
    public (long LabelId, bool Duplicate) Submit(long taskId, SubmitRequest label)
    {
        ArgumentNullException.ThrowIfNull(label);
        using var response = Send(() => _http.PostAsJsonAsync($"api/tasks/{taskId}/labels", label, Json).GetAwaiter().GetResult());
        Ensure(response, $"POST api/tasks/{taskId}/labels");
        var answer = response.Content.ReadFromJsonAsync<SubmitAnswer>(Json).GetAwaiter().GetResult()
            ?? throw new InvalidDataException($"{_http.BaseAddress}: empty answer to a submit");
        return (answer.LabelId, answer.Duplicate);
    }

    /// <summary>Sends, retrying transport errors and 5xx with back-off and waiting out 429s; the last answer.</summary>
    private HttpResponseMessage Send(Func<HttpResponseMessage> send)
    {
        for (int attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try { response = send(); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && attempt < Attempts)
            {
                Thread.Sleep(100 << attempt);
                continue;
            }
            if (attempt < Attempts && ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests))
            {
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(100 << attempt);
                response.Dispose();
                Thread.Sleep(wait);
                continue;
            }
            return response;
        }
    }

    private void Ensure(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        string? message = null;
        try { message = JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var e) ? e.GetString() : null; }
        catch (JsonException) { }
        throw new IOException($"{what} on {_http.BaseAddress}: {(int)response.StatusCode} {message ?? body}");
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private sealed record NextAnswer(TaskView? Task);

    private sealed record SubmitAnswer(long LabelId, bool Duplicate);
}
