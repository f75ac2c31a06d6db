using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Rlhf.Feedback.Storage;

namespace Rlhf.Cli.Tests;

/// <summary>
/// Two <c>rlhf label serve</c> processes on one database (SQLite in WAL mode, and PostgreSQL when a server answers),
/// a burst of submissions through both, and <c>kill -9</c> (SIGKILL) of one of them mid-burst: every label either
/// instance acknowledged with a 2xx is in the database exactly once. The killed instance's clients fail over to the
/// other and re-send their unanswered submission with the same id, as the page does.
/// </summary>
public sealed class LabelAppKillTests : IDisposable
{
    private const int Clients = 6, PerClient = 25, KillAfter = 30;
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public Task Sqlite_KillMinus9OfOneInstance_LosesNoAcknowledgedLabel() => KillOneMidBurst(Path.Combine(_dir, "labels.db"));

    [Fact]
    public async Task Postgres_KillMinus9OfOneInstance_LosesNoAcknowledgedLabel()
    {
        string admin = Environment.GetEnvironmentVariable("RLHF_TEST_POSTGRES") is { Length: > 0 } s ? s : "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";
        string name = $"rlhf_kill_{Guid.NewGuid():N}";
        try
        {
            using var c = new NpgsqlConnection(admin + ";Timeout=3;Pooling=false");
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            cmd.ExecuteNonQuery();
        }
        catch (NpgsqlException e) when (Environment.GetEnvironmentVariable("RLHF_REQUIRE_POSTGRES") != "1")
        {
            Console.WriteLine($"skipped: no PostgreSQL at '{admin}' ({e.Message}); run .ci/postgres-start"); // CI sets RLHF_REQUIRE_POSTGRES=1 and fails instead
            return;
        }
        try { await KillOneMidBurst(new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 20 }.ConnectionString); }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            using var c = new NpgsqlConnection(admin + ";Pooling=false");
            c.Open();
            using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", c);
            cmd.ExecuteNonQuery();
        }
    }

    private async Task KillOneMidBurst(string database)
    {
        var store = FeedbackStore.Open(database);
        store.Enqueue(Enumerable.Range(0, Clients * PerClient).Select(i => new LabelTaskInput($"prompt {i}", [$"a{i}", $"b{i}", $"c{i}"])), "test");
        var tokens = Enumerable.Range(0, Clients).Select(c => store.AddLabeler($"labeler-{c}").Token).ToList();
        using var a = Serve(database);
        using var b = Serve(database);
        var (addressA, addressB) = (await a.Address, await b.Address);

        var acknowledged = new List<(string SubmissionId, long LabelId)>();
        int acknowledgedOnA = 0, killed = 0;
        async Task Client(int c)
        {
            using var onA = Http(addressA, tokens[c]);
            using var onB = Http(addressB, tokens[c]);
            var http = c % 2 == 0 ? onA : onB;
            for (int n = 0; n < PerClient; n++)
            {
                for (int attempt = 0; ; attempt++)
                {
                    try
                    {
                        var next = await http.GetFromJsonAsync<JsonElement>("api/next");
                        if (next.GetProperty("task").ValueKind == JsonValueKind.Null) return;
                        long task = next.GetProperty("task").GetProperty("id").GetInt64();
                        string id = $"c{c}-t{task}";
                        HttpResponseMessage response;
                        for (int send = 0; ; send++)
                        {
                            try { response = await http.PostAsJsonAsync($"api/tasks/{task}/labels", new { submissionId = id, ranking = new[] { 2, 0, 1 }, elapsedMs = 900 }); break; }
                            catch (HttpRequestException) when (send < 5) { http = onB; } // the instance died: fail over, same submission id
                        }
                        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        long label = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("labelId").GetInt64();
                        lock (acknowledged) acknowledged.Add((id, label));
                        if (http == onA && Interlocked.Increment(ref acknowledgedOnA) == KillAfter && Interlocked.Exchange(ref killed, 1) == 0)
                            a.Kill(); // SIGKILL, while the other clients of A are mid-request
                        break;
                    }
                    catch (HttpRequestException) when (attempt < 5) { http = onB; }
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() => Client(c))));

        Assert.Equal(1, killed);
        Assert.True(acknowledged.Count > KillAfter, $"only {acknowledged.Count} labels acknowledged");
        var stored = FeedbackStore.Open(database).Labels();
        foreach (var (id, label) in acknowledged)
            Assert.Equal(label, Assert.Single(stored, l => l.SubmissionId == id).Id);    // every acknowledged label, exactly once
        Assert.Equal(stored.Count, stored.Select(l => l.Task.Id).Distinct().Count());    // no task over-filled
    }

    private static HttpClient Http(Uri address, string token)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static AppProcess Serve(string database) => new(database);

    /// <summary><c>rlhf label serve</c> in its own process (the built CLI next to this test assembly), on a free port.</summary>
    private sealed class AppProcess : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AppProcess(string database)
        {
            string cli = typeof(CliApp).Assembly.Location; // rlhf.dll beside this test assembly
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in new[] { cli, "label", "serve", "--db", database, "--port", "0", "--rate-limit", "0" }) start.ArgumentList.Add(arg);
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) =>
            {
                int at = e.Data?.IndexOf(" at http", StringComparison.Ordinal) ?? -1;
                if (at >= 0) _address.TrySetResult(new Uri(e.Data![(at + 4)..].Split(' ')[0]));
            };
            _process.ErrorDataReceived += (_, _) => { };
            _process.Exited += (_, _) => _address.TrySetException(new InvalidOperationException($"label serve exited with {_process.ExitCode} before listening"));
            _process.EnableRaisingEvents = true;
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public Task<Uri> Address => _address.Task.WaitAsync(TimeSpan.FromMinutes(2));

        public void Kill()
        {
            if (!_process.HasExited) _process.Kill(); // on Unix: SIGKILL
        }

        public void Dispose()
        {
            Kill();
            _process.WaitForExit(10_000);
            _process.Dispose();
        }
    }
}
