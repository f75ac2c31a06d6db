using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Training.Ppo;

/// <summary>
/// <c>samples.jsonl</c>: every N iterations a few (prompt, response, reward) rows, one JSON object per line
/// <c>{"iteration", "prompt", "response", "reward"[, "gold"]}</c> — the sample table that shows what the numbers mean
/// (a rising reward with degenerate text is reward hacking). A resumed run first drops rows after its iteration.
/// </summary>
public sealed class SampleLog(string path)
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;

    /// <summary>Removes rows of iterations after <paramref name="iteration"/> (they are about to be redone).</summary>
    public void TruncateAfter(int iteration)
    {
        if (!File.Exists(Path)) return;
        var kept = File.ReadAllLines(Path).Where(line =>
        {
            try { return JsonNode.Parse(line)?["iteration"]?.GetValue<int>() <= iteration; }
            catch (JsonException) { return false; } // a line torn by a crash
        }).ToList();
        AtomicFile.WriteAllText(Path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    /// <summary>Appends the rows of one table.</summary>
    public void Append(int iteration, IEnumerable<(string Prompt, string Response, double Reward, double? Gold)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var lines = rows.Select(r =>
        {
            var o = new JsonObject { ["iteration"] = iteration, ["prompt"] = r.Prompt, ["response"] = r.Response, ["reward"] = Finite(r.Reward) };
            if (r.Gold is double g) o["gold"] = Finite(g);
            return o.ToJsonString();
        });
        File.AppendAllText(Path, string.Concat(lines.Select(l => l + "\n")));
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 5)) : null;
}
