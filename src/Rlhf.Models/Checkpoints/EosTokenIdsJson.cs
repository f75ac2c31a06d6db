using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rlhf.Models.Checkpoints;

/// <summary>
/// The end-of-sequence ids of a checkpoint directory: <c>eos_token_id</c> of <c>generation_config.json</c> when that
/// file names one (what <c>transformers</c>' <c>generate</c> stops at), else of <c>config.json</c>. Either may be an
/// integer or a list of integers — Llama 3.1/3.2 Instruct list <c>[128001, 128008, 128009]</c> (end of text, end of
/// message, end of turn). Written back as <c>generation_config.json</c> so a trained checkpoint keeps them.
/// </summary>
public static class EosTokenIdsJson
{
    /// <summary>The generation defaults file of a Hugging Face checkpoint.</summary>
    public const string GenerationConfigFile = "generation_config.json";

    private const string Field = "eos_token_id";

    /// <summary>The directory's end-of-sequence ids (empty when neither file names any); a malformed value names the file and field.</summary>
    public static IReadOnlyList<int> Read(string directory)
    {
        foreach (string file in new[] { GenerationConfigFile, HfCheckpoint.ConfigFile })
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path)) continue;
            if (LlamaConfigJson.ReadObject(path)[Field] is { } node) return Parse(node, path);
        }
        return [];
    }

    /// <summary>An <c>eos_token_id</c> value: a non-negative integer or a list of them (duplicates dropped, order kept).</summary>
    public static IReadOnlyList<int> Parse(JsonNode node, string path)
    {
        ArgumentNullException.ThrowIfNull(node);
        var items = node is JsonArray list ? list.ToArray() : [node];
        var ids = new List<int>(items.Length);
        foreach (var item in items)
        {
            if (item is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out int id) || id < 0)
                throw new InvalidDataException($"{path}: \"{Field}\" must be a non-negative integer or a list of them, got {node.ToJsonString()}");
            if (!ids.Contains(id)) ids.Add(id);
        }
        return ids;
    }

    /// <summary>Writes <paramref name="ids"/> (and <paramref name="bosTokenId"/> when known) as <c>generation_config.json</c> of <paramref name="directory"/>.</summary>
    public static void Write(string directory, IReadOnlyList<int> ids, int? bosTokenId = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var json = new JsonObject();
        if (bosTokenId is int bos) json["bos_token_id"] = bos;
        json[Field] = ids.Count == 1 ? ids[0] : new JsonArray([.. ids.Select(id => (JsonNode)id)]);
        Rlhf.Tensors.Serialization.AtomicFile.WriteAllText(Path.Combine(directory, GenerationConfigFile),
            json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
