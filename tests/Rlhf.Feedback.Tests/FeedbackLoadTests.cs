using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Tests;

/// <summary>
/// Bounded load on loopback: 20 concurrent clients (one labeler each) × 50 submissions, over a network that loses
/// responses and repeats requests, and clients that retry. Nothing may be lost or stored twice.
/// </summary>
public sealed class FeedbackLoadTests
{
    private const int Clients = 20, PerClient = 50;

    /// <summary>
    /// Deterministic faults (seeded): 15% of submits reach the server but their response is "lost" (the client sees an
    /// exception and retries the same submission id), 10% are sent twice at once (a double click, a proxy retry).
    /// </summary>
    private sealed class FlakyHandler(int seed) : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly Random _random = new(seed);
        public int Lost, Doubled;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
        {
            if (request.Method != HttpMethod.Post) return await base.SendAsync(request, cancel);
            double roll;
            lock (_random) roll = _random.NextDouble();
            if (roll < 0.15)
            {
                (await base.SendAsync(request, cancel)).Dispose();
                Interlocked.Increment(ref Lost);
                throw new HttpRequestException("simulated: response lost after the server handled the request");
            }
            if (roll < 0.25)
            {
                Interlocked.Increment(ref Doubled);
                var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Content = new ByteArrayContent(await request.Content!.ReadAsByteArrayAsync(cancel)) };
                copy.Content.Headers.ContentType = request.Content.Headers.ContentType;
                var twin = base.SendAsync(copy, cancel);
                var response = await base.SendAsync(request, cancel);
                (await twin).Dispose();
                return response;
            }
            return await base.SendAsync(request, cancel);
        }
    }

    [Fact]
    public async Task ConcurrentClientsWithRetries_LoseNothing_DuplicateNothing()
    {
        var groups = Enumerable.Range(0, Clients * PerClient)
            .Select(i => new CompletionGroup($"prompt {i}", [$"a{i}", $"b{i}", $"c{i}", $"d{i}"])).ToList();
        await using var h = await ServerHarness.StartAsync(groups);
        var tokens = Enumerable.Range(0, Clients).Select(c => h.Store.AddLabeler($"labeler-{c}").Token).ToList();

        var handlers = new FlakyHandler[Clients];
        var sent = new Dictionary<string, (long Task, int[] Ranking)>[Clients];
        int duplicatesSeen = 0;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            handlers[c] = new FlakyHandler(seed: 100 + c);
            sent[c] = [];
            using var client = h.Client(tokens[c], handlers[c]);
            var rng = new Random(c);
            for (int n = 0; n < PerClient; n++)
            {
                var next = JsonDocument.Parse(await client.GetStringAsync("api/next")).RootElement.GetProperty("task");
                long task = next.GetProperty("id").GetInt64();
                int[] ranking = [.. Enumerable.Range(0, 4).OrderBy(_ => rng.Next())];
                string id = $"c{c}-n{n}";
                sent[c][id] = (task, ranking);
                for (int attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 20, "too many retries");
                    try
                    {
                        using var response = await client.PostAsJsonAsync($"api/tasks/{task}/labels", new { submissionId = id, ranking });
                        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
                        if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref duplicatesSeen);
                        break;
                    }
                    catch (HttpRequestException) { } // lost response: retry with the same submission id
                }
            }
        })));

        var labels = h.Store.Labels();
        var expected = sent.SelectMany(d => d).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(Clients * PerClient, expected.Count);
        Assert.Equal(expected.Count, labels.Count);                                    // nothing lost, nothing twice
        Assert.Equal(labels.Count, labels.Select(l => l.SubmissionId).Distinct().Count());
        Assert.Equal(labels.Count, labels.Select(l => l.Task.Id).Distinct().Count());  // leases: every task labeled once
        foreach (var l in labels)
        {
            var (task, ranking) = expected[l.SubmissionId];
            Assert.Equal(task, l.Task.Id);
            Assert.Equal(ranking, l.Ranking);
        }
        int lost = handlers.Sum(x => x.Lost), doubled = handlers.Sum(x => x.Doubled);
        Assert.True(lost > 50 && doubled > 30, $"faults injected: {lost} lost responses, {doubled} doubled requests");
        Assert.True(duplicatesSeen > 30, $"retries after lost responses are answered as duplicates, seen {duplicatesSeen}");
        Assert.Equal(0, h.Store.Overview(1).TasksRemaining);
    }
}
