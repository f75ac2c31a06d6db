using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Cli.Demo.Report;

namespace Rlhf.Cli.Demo;

/// <summary>
/// <c>demo.json</c>: the seed and size of a demo directory and, per stage, its status ("done", "failed"), wall time and
/// the <c>rlhf</c> commands it ran — so a re-run skips finished stages and the report can show how to reproduce each.
/// </summary>
public sealed record DemoState(
    [property: JsonPropertyName("seed")] ulong? Seed,
    [property: JsonPropertyName("quick")] bool Quick,
    [property: JsonPropertyName("stages")] List<DemoStage> Stages)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The state in <paramref name="dir"/>, or null when there is none yet; the one reader of demo.json (the runner's
    /// resume and the report's <see cref="DemoSummary"/>). A file that is not a state file throws <see cref="TrainingException"/>.
    /// </summary>
    public static DemoState? Load(string dir)
    {
        string path = Path.Combine(dir, DemoLayout.StateFile);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<DemoState>(File.ReadAllText(path), Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}: not a demo state file ({e.Message}); remove it or use --restart");
        }
    }

    /// <summary>Writes the state atomically.</summary>
    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, DemoLayout.StateFile), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>The record of stage <paramref name="name"/>, or null.</summary>
    public DemoStage? Stage(string name) => Stages.Find(s => s.Name == name);
}
