using OpenAI.Chat;

namespace Rlhf.Cli.Judges;

/// <summary>
/// AI critiques for assisted review (<c>rlhf online --labeler humans:… --assist &lt;endpoint&gt;#&lt;model&gt;</c>;
/// Saunders et al. 2022, "Self-critiquing models for assisting human evaluators"): for each completion, a model behind
/// an OpenAI-compatible chat endpoint (the judge's client, <see cref="OpenAiJudge.CreateClient"/>) writes a short
/// critique naming errors, unsafe content or ignored instructions. The label app shows it beside the card, marked
/// "AI-written critique (may be wrong)", and each label records whether critiques were shown. A critique that fails
/// after the retries is left out (null): the task is still asked, without it.
/// </summary>
public sealed class OpenAiCritic
{
    /// <summary>The instruction the critic model gets.</summary>
    public const string System =
        "You help a human rate answers. In at most two sentences, point out factual errors, unsafe or harmful content, "
        + "and parts of the request the answer ignores. If you find none, reply: No problems found.";

    private readonly ChatClient _client;
    private readonly int _retries;

    /// <summary>A critic using <paramref name="model"/> at <paramref name="endpoint"/>.</summary>
    public OpenAiCritic(Uri endpoint, string model, string? apiKey = null, TimeSpan? timeout = null, int retries = 2)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        _client = OpenAiJudge.CreateClient(endpoint, model, apiKey, timeout ?? TimeSpan.FromSeconds(60));
        _retries = retries;
        Name = $"critic:{endpoint}#{model}";
    }

    /// <summary>Where the critiques come from, for logs.</summary>
    public string Name { get; }

    /// <summary>Critiques that failed after their retries (left out of their tasks).</summary>
    public int Failures { get; private set; }

    /// <summary>One critique per completion of <paramref name="prompt"/>, null where the endpoint failed.</summary>
    public IReadOnlyList<string?> Critique(string prompt, IReadOnlyList<string> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var options = new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 120 };
        var critiques = new string?[completions.Count];
        for (int i = 0; i < completions.Count; i++)
        {
            ChatMessage[] messages = [new SystemChatMessage(System), new UserChatMessage($"Request:\n{prompt}\n\nAnswer:\n{completions[i]}")];
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    var reply = _client.CompleteChat(messages, options).Value;
                    string text = reply.Content.Count > 0 ? reply.Content[0].Text.Trim() : "";
                    critiques[i] = text.Length > 0 ? text : null;
                    break;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (attempt < _retries) { Thread.Sleep(TimeSpan.FromSeconds(0.5 * (1 << attempt))); continue; }
                    Failures++;
                    break;
                }
            }
        }
        return critiques;
    }
}
