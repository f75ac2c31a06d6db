using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rlhf.Feedback.Storage;
using Rlhf.Feedback.Web;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>The server as a hosted service: JSON on every refusal, admin-only routes, rate limits, no open bind without an admin.</summary>
public sealed class FeedbackSecurityTests
{
    private static readonly CompletionGroup[] Groups =
    [
        new("Say hi.", ["hi", "hello there"]),
        new("Say bye.", ["bye", "farewell"]),
    ];

    private static async Task<(HttpStatusCode Status, string Error)> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
        Assert.DoesNotMatch(@"System\.|Microsoft\.|Rlhf\.", error);
        return (response.StatusCode, error);
    }

    [Fact]
    public async Task UnknownPath_WrongMethod_HugeHeaders_AllAnswerJson()
    {
        await using var h = await ServerHarness.StartAsync(Groups, new() { MaxRequestHeadersBytes = 4096 });
        var (_, token) = h.Store.AddLabeler("alice");
        using var client = h.Client(token);

        Assert.Equal((HttpStatusCode.NotFound, "no such page or endpoint: POST /api/nothing"), await ErrorOf(await client.PostAsync("api/nothing", null)));
        Assert.Equal((HttpStatusCode.NotFound, "no such page or endpoint: GET /nothing.txt"), await ErrorOf(await client.GetAsync("nothing.txt")));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "GET is not allowed on /api/tasks/1/labels"), await ErrorOf(await client.GetAsync("api/tasks/1/labels")));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "DELETE is not allowed on /api/next"), await ErrorOf(await client.DeleteAsync("api/next")));

        using var big = new HttpRequestMessage(HttpMethod.Get, "api/me");
        big.Headers.Add("X-Padding", new string('a', 8000));
        var (status, error) = await ErrorOf(await client.SendAsync(big));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, status);
        Assert.Contains("the limit is 4096 bytes", error);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/me")).StatusCode);
    }

    [Fact]
    public async Task Enqueue_OverviewAndExport_NeedAnAdmin_EnqueueAddsTasks()
    {
        await using var h = await ServerHarness.StartAsync([]);
        var (_, admin) = h.Store.AddLabeler("root", isAdmin: true);
        var (_, labeler) = h.Store.AddLabeler("ann");
        using var root = h.Client(admin);
        using var ann = h.Client(labeler);
        var body = new { tasks = Groups.Select(g => new { prompt = g.Prompt, completions = g.Completions }) };

        foreach (var response in new[] { await ann.PostAsJsonAsync("api/tasks", body), await ann.GetAsync("api/overview"), await ann.GetAsync("api/export") })
        {
            var (status, error) = await ErrorOf(response);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("ann is not an admin", error);
        }
        Assert.Equal(0, h.Store.TaskCount());
        var added = JsonDocument.Parse(await (await root.PostAsJsonAsync("api/tasks", body)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((2, 0), (added.GetProperty("added").GetInt32(), added.GetProperty("skipped").GetInt32()));
        var again = JsonDocument.Parse(await (await root.PostAsJsonAsync("api/tasks", body)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((0, 2), (again.GetProperty("added").GetInt32(), again.GetProperty("skipped").GetInt32()));
        var (bad, why) = await ErrorOf(await root.PostAsJsonAsync("api/tasks", new { tasks = new[] { new { prompt = "p", completions = new[] { "only one" } } } }));
        Assert.Equal((HttpStatusCode.BadRequest, true), (bad, why.Contains("task 0: expected at least 2 completions", StringComparison.Ordinal)));
        Assert.Equal(2, h.Store.TaskCount());
    }

    [Fact]
    public async Task RateLimit_RefusesABurstAboveTheLimit_PerLabeler_WithJsonAndRetryAfter()
    {
        await using var h = await ServerHarness.StartAsync(Groups, new() { RateLimitPerMinute = 60 }); // a bucket of 10
        using var ann = h.Client(h.Store.AddLabeler("ann").Token);
        using var bea = h.Client(h.Store.AddLabeler("bea").Token);
        // 40 requests at once cannot all fit a bucket of 10 refilled by 1 a second (unless they took 30 s to arrive)
        var statuses = (await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => ann.GetAsync("api/me")))).Select(r => r.StatusCode).ToList();
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 10, string.Join(",", statuses));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var refused = await ann.GetAsync("api/me");
        if (refused.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            Assert.Contains("too many requests", (await ErrorOf(refused)).Error);
        }
        Assert.Equal(HttpStatusCode.OK, (await bea.GetAsync("api/me")).StatusCode); // another labeler has their own bucket
    }

    [Fact]
    public async Task NonLoopbackAddress_IsRefused_WithoutAnAdmin()
    {
        using var db = TestDatabase.Create(Backend.Sqlite);
        var store = db.Open();
        store.AddLabeler("ann");
        var e = await Assert.ThrowsAsync<FeedbackException>(() => FeedbackServer.StartAsync(store, new FeedbackServerOptions { Address = IPAddress.Any, Port = 0, ErrorLog = TextWriter.Null }));
        Assert.Contains("refusing to listen on 0.0.0.0 without an admin labeler", e.Message);
        store.AddLabeler("root", isAdmin: true);
        store.RevokeLabeler("root");
        await Assert.ThrowsAsync<FeedbackException>(() => FeedbackServer.StartAsync(store, new FeedbackServerOptions { Address = IPAddress.Any, Port = 0, ErrorLog = TextWriter.Null }));
        store.RotateToken("root");
        await using var server = await FeedbackServer.StartAsync(store, new FeedbackServerOptions { Address = IPAddress.Any, Port = 0, ErrorLog = TextWriter.Null });
        Assert.NotEqual(0, server.Address.Port);
    }

    [Fact]
    public async Task RevokedToken_Gets401_AtOnce()
    {
        await using var h = await ServerHarness.StartAsync(Groups);
        var (_, token) = h.Store.AddLabeler("ann");
        using var ann = h.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync("api/next")).StatusCode);
        h.Store.RevokeLabeler("ann");
        var (status, error) = await ErrorOf(await ann.GetAsync("api/next"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("ann's access was revoked", error);
    }
}
