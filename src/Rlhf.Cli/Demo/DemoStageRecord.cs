using System.Text.Json.Serialization;

namespace Rlhf.Cli.Demo;

/// <summary>One stage's line in <c>demo.json</c>.</summary>
public sealed record DemoStageRecord(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("seconds")] double? Seconds,
    [property: JsonPropertyName("commands")] List<string> Commands)
{
    /// <summary>Status of a finished stage.</summary>
    public const string Done = "done";
    /// <summary>Status of a stage that failed or was interrupted.</summary>
    public const string Failed = "failed";
}
