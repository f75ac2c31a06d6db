using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Rlhf.Cli.Tests;

/// <summary>
/// A minimal OpenAI-compatible chat-completions server on 127.0.0.1 (HttpListener): every POST gets the reply text
/// <see cref="Reply"/> after <see cref="Delay"/>, except the first <see cref="FailFirst"/> requests, which get HTTP 503.
/// Counts requests and keeps the last request body.
/// </summary>
internal sealed class FakeChatServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public FakeChatServer()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}/v1");

    public string Reply { get; set; } = "yes";

    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    /// <summary>How many requests (counted from the first) are answered 503 Service Unavailable at once.</summary>
    public int FailFirst { get; set; }

    public int Requests => Volatile.Read(ref _requests);

    public string? LastBody { get; private set; }

    /// <summary>A loopback port nothing listens on (bound, read, released).</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; } // listener stopped
            _ = Task.Run(async () =>
            {
                int number = Interlocked.Increment(ref _requests);
                using (var reader = new StreamReader(ctx.Request.InputStream)) LastBody = await reader.ReadToEndAsync();
                if (number <= FailFirst)
                {
                    try { ctx.Response.StatusCode = 503; ctx.Response.Close(); } catch (Exception) { }
                    return;
                }
                try { await Task.Delay(Delay, _stop.Token); } catch (OperationCanceledException) { }
                var body = JsonSerializer.Serialize(new
                {
                    id = "chatcmpl-1", @object = "chat.completion", created = 0, model = "judge",
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = Reply }, finish_reason = "stop" } },
                    usage = new { prompt_tokens = 1, completion_tokens = 1, total_tokens = 2 },
                });
                var bytes = Encoding.UTF8.GetBytes(body);
                try
                {
                    ctx.Response.ContentType = "application/json";
                    ctx.Response.ContentLength64 = bytes.Length;
                    await ctx.Response.OutputStream.WriteAsync(bytes);
                    ctx.Response.Close();
                }
                catch (Exception) { } // the client gave up (timeout)
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}
