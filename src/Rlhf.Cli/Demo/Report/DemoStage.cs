using System.Text.Json.Serialization;

namespace Rlhf.Cli.Demo.Report;

/// <summary>One stage's entry in a demo directory's <c>demo.json</c>: its status, wall time and the <c>rlhf</c> commands it ran.</summary>
public sealed record DemoStage(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("seconds")] double? Seconds,
    [property: JsonPropertyName("commands")] IReadOnlyList<string>? Commands)
{
    /// <summary>Status of a stage that finished.</summary>
    public const string Done = "done";

    /// <summary>Status of a stage that failed or was interrupted.</summary>
    public const string Failed = "failed";

    /// <summary>True when the stage finished.</summary>
    [JsonIgnore]
    public bool IsDone => Status == Done;
}
