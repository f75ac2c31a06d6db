using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Rlhf.Cli.Tests;

/// <summary>
/// An HTTP scoring server on 127.0.0.1 for the external-reward tests. <paramref name="answer"/> maps the request body
/// to (status, body, delay); the default scores each response by its length. Counts the requests it got.
/// </summary>
internal sealed class LoopbackScoreServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, (int Status, string Body, TimeSpan Delay)> _answer;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public LoopbackScoreServer(Func<string, (int Status, string Body, TimeSpan Delay)>? answer = null)
    {
        _answer = answer ?? (body => (200, LengthScores(body), TimeSpan.Zero));
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/score";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    /// <summary>The scoring endpoint.</summary>
    public string Url { get; }

    /// <summary>Requests received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A JSON list scoring each item's response by its length / 10.</summary>
    public static string LengthScores(string body) =>
        new JsonArray([.. JsonNode.Parse(body)!["items"]!.AsArray().Select(i => (JsonNode?)JsonValue.Create(((string)i!["response"]!).Length / 10.0))]).ToJsonString();

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(async () =>
            {
                Interlocked.Increment(ref _requests);
                try
                {
                    string body = await new StreamReader(context.Request.InputStream, Encoding.UTF8).ReadToEndAsync();
                    var (status, reply, delay) = _answer(body);
                    if (delay > TimeSpan.Zero) await Task.Delay(delay, _stop.Token);
                    var bytes = Encoding.UTF8.GetBytes(reply);
                    context.Response.StatusCode = status;
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(bytes, _stop.Token);
                    context.Response.Close();
                }
                catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException or IOException) { }
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}
