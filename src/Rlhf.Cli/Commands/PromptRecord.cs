using System.Text.Json.Serialization;

namespace Rlhf.Cli.Commands;

/// <summary>A line of a <c>--prompts</c> JSONL file: <c>{"prompt": "..."}</c> (other fields, e.g. a response, are ignored).</summary>
public sealed record PromptRecord([property: JsonPropertyName("prompt")] string Prompt);
