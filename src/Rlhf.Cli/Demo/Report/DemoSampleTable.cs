using System.Text.Json.Serialization;

namespace Rlhf.Cli.Demo.Report;

/// <summary><c>samples.json</c> of a demo directory: held-out prompts answered by each method.</summary>
public sealed record DemoSampleTable(
    [property: JsonPropertyName("prompts")] IReadOnlyList<string> Prompts,
    [property: JsonPropertyName("methods")] IReadOnlyList<DemoSampleMethod> Methods);
