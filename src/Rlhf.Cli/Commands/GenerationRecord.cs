using System.Text.Json.Serialization;

namespace Rlhf.Cli.Commands;

/// <summary>One <c>rlhf generate --json</c> line.</summary>
/// <param name="Prompt">The prompt text as given (before any template).</param>
/// <param name="Completion">The generated text (without the end-of-text token).</param>
/// <param name="Tokens">Generated tokens, the end-of-text included when it was produced.</param>
/// <param name="MeanLogProb">Mean log-probability of the generated tokens under the temperature-scaled model (null for none).</param>
/// <param name="Finished">True when generation stopped at end-of-text rather than at --max-new-tokens.</param>
/// <param name="TokenIds">The generated token ids, in order.</param>
/// <param name="LogProbs">Each generated token's log-probability under the temperature-scaled model, parallel to <paramref name="TokenIds"/>.</param>
public sealed record GenerationRecord(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("completion")] string Completion,
    [property: JsonPropertyName("tokens")] int Tokens,
    [property: JsonPropertyName("mean_logprob")] double? MeanLogProb,
    [property: JsonPropertyName("finished")] bool Finished,
    [property: JsonPropertyName("token_ids")] int[] TokenIds,
    [property: JsonPropertyName("logprobs")] float[] LogProbs);
