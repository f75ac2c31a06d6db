using System.Text.Json.Serialization;

namespace Rlhf.Cli.Commands;

/// <summary>The <c>rlhf tokenizer encode --json</c> output.</summary>
/// <param name="Ids">The token ids.</param>
/// <param name="Tokens">Each token in readable form (its bytes as text, <c>\n</c>, <c>\xNN</c> for partial characters).</param>
/// <param name="Count">Number of tokens.</param>
/// <param name="Bytes">UTF-8 bytes of the input text.</param>
public sealed record TokenizerEncodeRecord(
    [property: JsonPropertyName("ids")] int[] Ids,
    [property: JsonPropertyName("tokens")] string[] Tokens,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("bytes")] int Bytes);
