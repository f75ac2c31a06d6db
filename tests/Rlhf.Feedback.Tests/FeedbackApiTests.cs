using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Rlhf.Feedback.Exchange;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>The HTTP API on a real Kestrel server (127.0.0.1, free port): round trip, refusals, headers.</summary>
public sealed class FeedbackApiTests
{
    private static readonly CompletionGroup[] Groups =
    [
        new("How was your day?", ["Wonderful, thanks!", "bad.", "It was okay.", "Terrible and long."]),
        new("Describe the film.", ["Gripping.", "Boring.", "Meh."]),
        new("Say hi.", ["hi", "hello there"]),
    ];

    private static async Task<(int Status, string Error)> ErrorOf(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task EnqueueServeSubmitExport_RoundTrip_EqualsWhatWasSubmitted()
    {
        await using var h = await ServerHarness.StartAsync([]);
        string input = h.File("groups.jsonl");
        File.WriteAllLines(input, Groups.Select(g => JsonSerializer.Serialize(new { prompt = g.Prompt, completions = g.Completions })));
        Assert.Equal((3, 0), h.Store.Enqueue(CompletionGroup.Load(input), "file")); // what `rlhf label enqueue --completions` does
        var (_, aliceToken) = h.Store.AddLabeler("alice", isAdmin: true);
        var (_, bobToken) = h.Store.AddLabeler("bob");
        using var alice = h.Client(aliceToken);
        using var bob = h.Client(bobToken);

        var submitted = new List<RankedCompletions>();
        for (int n = 0; ; n++)
        {
            var client = n % 2 == 0 ? alice : bob;
            var next = JsonDocument.Parse(await client.GetStringAsync("api/next")).RootElement;
            if (next.GetProperty("task").ValueKind == JsonValueKind.Null) break;
            var task = next.GetProperty("task");
            long id = task.GetProperty("id").GetInt64();
            // the labeler's order: the displayed order reversed; the first two tied when K > 2
            int[] ranking = [.. task.GetProperty("completions").EnumerateArray().Select(c => c.GetProperty("index").GetInt32()).Reverse()];
            int[][] ties = ranking.Length > 2 ? [[ranking[0], ranking[1]]] : [];
            var response = await ServerHarness.Submit(client, id, new { submissionId = $"sub-{n}", ranking, ties, @unsafe = n == 1, elapsedMs = 1000 + n });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var group = Groups[id - 1];
            submitted.Add(new RankedCompletions(group.Prompt, group.Completions, ranking, ties));
        }
        Assert.Equal(3, submitted.Count);

        var export = await alice.GetAsync("api/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        string downloaded = h.File("downloaded.jsonl"), written = h.File("written.jsonl");
        File.WriteAllBytes(downloaded, await export.Content.ReadAsByteArrayAsync());
        FeedbackExport.Write(h.Store, written, PreferenceFormat.Ranked); // `rlhf label export`
        Assert.Equal(File.ReadAllText(written), File.ReadAllText(downloaded));
        var records = PreferenceData.Load(downloaded).Records;
        Assert.Equal(submitted.Count, records.Count);
        for (int i = 0; i < submitted.Count; i++)
        {
            Assert.Equal(submitted[i].Prompt, records[i].Prompt);
            Assert.Equal(submitted[i].Completions, records[i].Completions);
            Assert.Equal(submitted[i].Ranking, records[i].Ranking);
            Assert.Equal(submitted[i].Ties, records[i].Ties);
        }
        var pairs = await alice.GetStringAsync("api/export?format=pairwise&excludeFlagged=true");
        Assert.Equal(5 + 1, pairs.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // task 2 (flagged unsafe) left out

        var overview = JsonDocument.Parse(await alice.GetStringAsync("api/overview")).RootElement;
        Assert.Equal(3, overview.GetProperty("labels").GetInt32());
        Assert.Equal(0, overview.GetProperty("tasksRemaining").GetInt32());
        Assert.Equal(1, overview.GetProperty("unsafe").GetInt32());
        var me = JsonDocument.Parse(await bob.GetStringAsync("api/me")).RootElement;
        Assert.Equal((1, 0), (me.GetProperty("done").GetInt32(), me.GetProperty("remaining").GetInt32()));
        var (forbidden, why) = await ErrorOf(await bob.GetAsync("api/overview"));
        Assert.Equal(403, forbidden);
        Assert.Contains("bob is not an admin", why);
        Assert.Equal(403, (await ErrorOf(await bob.GetAsync("api/export"))).Status);
    }

    public static TheoryData<string, string?, string, int, string> BadRequests => new()
    {
        // case, token ("good" = a valid one), path, status, expected message
        { "unknown task", "good", "api/tasks/999/labels", 404, "task 999 does not exist" },
        { "task id not a number", "good", "api/tasks/abc/labels", 404, "task 'abc' does not exist" },
        { "not a permutation", "good", "api/tasks/1/labels", 400, "'ranking' lists index 1 twice (expected a permutation of 0..3)" },
        { "wrong token", "not-a-token", "api/tasks/1/labels", 401, "unknown labeler token" },
        { "no token", null, "api/tasks/1/labels", 401, "missing labeler token" },
        { "oversized body", "good", "api/tasks/1/labels", 413, "the limit is 4096 bytes" },
        { "oversized chunked body", "good", "api/tasks/1/labels", 413, "the limit is 4096 bytes" },
        { "malformed JSON", "good", "api/tasks/1/labels", 400, "request body is not the expected JSON" },
        { "missing ranking", "good", "api/tasks/1/labels", 400, "missing 'ranking'" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInput_Gets4xx_WithAClearMessage_DatabaseUnchanged(string kind, string? token, string path, int status, string message)
    {
        await using var h = await ServerHarness.StartAsync(Groups, new() { MaxRequestBodyBytes = 4096 });
        var (_, good) = h.Store.AddLabeler("alice");
        using var client = h.Client(token == "good" ? good : token);
        await ServerHarness.Submit(client, 2, new { submissionId = "kept", ranking = new[] { 2, 1, 0 } }); // a label that must survive
        string before = Snapshot.Of(h.DbPath);

        string json = kind switch
        {
            "not a permutation" => """{"submissionId": "x1", "ranking": [0, 1, 1, 3]}""",
            "malformed JSON" => """{"submissionId": "x1", "ranking": [0, 1""",
            "missing ranking" => """{"submissionId": "x1"}""",
            _ when kind.StartsWith("oversized", StringComparison.Ordinal) => $$"""{"submissionId": "x1", "ranking": [0, 1, 2, 3], "pad": "{{new string('a', 10_000)}}"}""",
            _ => """{"submissionId": "x1", "ranking": [0, 1, 2, 3]}""",
        };
        HttpContent content = new StringContent(json, Encoding.UTF8, "application/json");
        if (kind == "oversized chunked body") content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json))); // no Content-Length: Kestrel's limit trips mid-read
        var response = await client.PostAsync(path, content);

        var (got, error) = await ErrorOf(response);
        Assert.Equal(status, got);
        Assert.Contains(message, error);
        Assert.Equal(before, Snapshot.Of(h.DbPath));
    }

    [Fact]
    public async Task Page_IsServedWithAStrictContentSecurityPolicy_AndNoInlineScript()
    {
        await using var h = await ServerHarness.StartAsync(Groups);
        using var client = h.Client(null);
        var page = await client.GetAsync("");
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        string csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("<script src=\"/app.js\"></script>", html);
        Assert.Equal(1, html.Split("<script").Length - 1);
        string js = await client.GetStringAsync("app.js");
        Assert.DoesNotMatch(@"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(", js); // text goes in by textContent only
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("secret.db")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("api/next")).StatusCode);
    }
}
