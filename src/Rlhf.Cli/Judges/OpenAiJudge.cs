using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Judges;

/// <summary>
/// A judge behind any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp server, ...), through the
/// official OpenAI .NET client with a custom <see cref="OpenAIClientOptions.Endpoint"/>. Each request has a network
/// timeout; a failed request (timeout, connection refused, HTTP error, unparsable reply) is retried
/// <see cref="Retries"/> times with a doubling back-off, then the last error is thrown (and
/// <see cref="LlmJudgeReward"/> turns it into reward 0 with the reason). The client's own retry policy is switched
/// off so that the count here is the only one. Replies are asked for at temperature 0 and a few tokens.
/// </summary>
public sealed class OpenAiJudge : IJudgeBackend
{
    private readonly ChatClient _client;
    private readonly TimeSpan _backoff;

    /// <summary>A judge using model <paramref name="model"/> at <paramref name="endpoint"/> (e.g. <c>http://127.0.0.1:8000/v1</c>).</summary>
    public OpenAiJudge(Uri endpoint, string model, string? apiKey = null, TimeSpan? timeout = null, int retries = 2, TimeSpan? backoff = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        Timeout = timeout ?? TimeSpan.FromSeconds(30);
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "the timeout must be positive");
        (Retries, _backoff) = (retries, backoff ?? TimeSpan.FromSeconds(0.5));
        _client = CreateClient(endpoint, model, apiKey, Timeout);
        Name = $"judge:{endpoint}#{model}";
    }

    /// <summary>
    /// A chat client for <paramref name="model"/> at an OpenAI-compatible <paramref name="endpoint"/> with a network
    /// timeout and the client's own retries off (callers count their own); a local server's empty key becomes "none".
    /// </summary>
    internal static ChatClient CreateClient(Uri endpoint, string model, string? apiKey, TimeSpan timeout)
    {
        var options = new OpenAIClientOptions { Endpoint = endpoint, NetworkTimeout = timeout, RetryPolicy = new ClientRetryPolicy(0) };
        // local servers take any key; the client insists on a non-empty one
        return new ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "none" : apiKey), options);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Per-request network timeout.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Extra attempts after a failed request.</summary>
    public int Retries { get; }

    /// <inheritdoc/>
    public JudgeVerdict Judge(string problem, string solution, string reference, CancellationToken cancel = default)
    {
        ChatMessage[] messages = [new SystemChatMessage(JudgePrompt.System), new UserChatMessage(JudgePrompt.Format(problem, solution, reference))];
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 4 };
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                ChatCompletion reply = _client.CompleteChat(messages, options, cancel).Value;
                string text = reply.Content.Count > 0 ? reply.Content[0].Text : "";
                return new JudgeVerdict(JudgePrompt.ParseReply(text));
            }
            catch (Exception e) when (attempt < Retries && !cancel.IsCancellationRequested && e is not OutOfMemoryException)
            {
                Thread.Sleep(_backoff * (1 << attempt));
            }
            catch (Exception e) when (e is not OutOfMemoryException && e is not FormatException)
            {
                throw new JudgeUnavailableException($"{Name}: {1 + Retries} attempt(s) failed, last: {e.GetType().Name}: {e.Message}", e);
            }
        }
    }
}
