using System.Net.Http.Headers;
using System.Net.Http.Json;
using Rlhf.Feedback.Storage;
using Rlhf.Feedback.Web;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>A real server on 127.0.0.1 and a free port, over a fresh database in a temp directory, with labelers and tasks.</summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private readonly TempDir _dir;

    private ServerHarness(FeedbackStore store, FeedbackServer server, TempDir dir)
    {
        Store = store;
        Server = server;
        _dir = dir;
    }

    public FeedbackStore Store { get; }

    public FeedbackServer Server { get; }

    public string DbPath => Store.Path;

    public string File(string name) => _dir.File(name);

    public static async Task<ServerHarness> StartAsync(IEnumerable<CompletionGroup> groups, FeedbackServerOptions? options = null)
    {
        var dir = new TempDir();
        var store = FeedbackStore.Open(dir.File("labels.db"));
        store.Enqueue(groups, "test");
        var server = await FeedbackServer.StartAsync(store, (options ?? new FeedbackServerOptions()) with { Port = 0, ErrorLog = TextWriter.Null });
        return new ServerHarness(store, server, dir);
    }

    /// <summary>An HTTP client for the server authenticated as the labeler with <paramref name="token"/>.</summary>
    public HttpClient Client(string? token, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler);
        client.BaseAddress = Server.Address;
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static Task<HttpResponseMessage> Submit(HttpClient client, long task, object body) => client.PostAsJsonAsync($"api/tasks/{task}/labels", body);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}
