using System.Text.Json.Serialization;

namespace Rlhf.Cli.Demo.Report;

/// <summary>One method's answers in <c>samples.json</c>, aligned with the prompts, each with its gold and proxy score.</summary>
public sealed record DemoSampleMethod(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("completions")] IReadOnlyList<string> Completions,
    [property: JsonPropertyName("gold")] IReadOnlyList<double>? Gold,
    [property: JsonPropertyName("proxy")] IReadOnlyList<double>? Proxy);
