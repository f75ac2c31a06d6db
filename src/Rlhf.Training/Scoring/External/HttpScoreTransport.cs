using System.Net.Http;
using System.Text;

namespace Rlhf.Training.Scoring;

/// <summary>POSTs each batch to an HTTP(S) endpoint (<c>Content-Type: application/json</c>) and returns the body of a 2xx reply.</summary>
public sealed class HttpScoreTransport : IScoreTransport
{
    private readonly HttpClient _client = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    private readonly Uri _url;

    /// <summary>A transport to <paramref name="url"/> (http or https).</summary>
    public HttpScoreTransport(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) throw new ArgumentException($"external scorer: '{url}' is not an http(s) URL");
        _url = url;
    }

    /// <inheritdoc/>
    public string Name => _url.ToString();

    /// <inheritdoc/>
    public string Exchange(string requestJson, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new StringContent(requestJson, Encoding.UTF8, "application/json") };
            using var response = _client.Send(request, cts.Token);
            using var reader = new StreamReader(response.Content.ReadAsStream(cts.Token), Encoding.UTF8);
            string body = reader.ReadToEndAsync(cts.Token).GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
                throw new ExternalScorerException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(body.Length > 0 ? $": {(body.Length > 200 ? body[..200] + "…" : body)}" : "")}");
            return body;
        }
        catch (OperationCanceledException e) { throw new ExternalScorerException($"no reply within {timeout.TotalSeconds:G3} s", e); }
        catch (HttpRequestException e) { throw new ExternalScorerException($"request failed: {e.Message}", e); }
        catch (IOException e) { throw new ExternalScorerException($"connection failed: {e.Message}", e); }
    }

    /// <inheritdoc/>
    public void Reset() { }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}
