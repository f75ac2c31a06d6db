using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Checkpoints;

/// <summary>
/// Hugging Face layout of Llama-family checkpoints: <c>config.json</c> (<see cref="LlamaConfigJson"/>) and the
/// weights under their HF keys, either in one <c>model.safetensors</c> or sharded as
/// <c>model-0000i-of-0000N.safetensors</c> with <c>model.safetensors.index.json</c> (<c>{"weight_map": {key: file}}</c>).
/// F32, BF16 and F16 tensors load (converted to F32; all arithmetic is fp32); saving writes F32.
/// <para>
/// Loading reports every missing or mis-shaped tensor, and every tensor under <c>model.</c> / <c>lm_head.</c> that
/// the config does not explain, in one error naming the file; other tensors (heads such as <c>score.weight</c>,
/// <c>v_head.*</c>) are returned to the caller. A tied checkpoint may carry <c>lm_head.weight</c> (ignored) and old
/// ones <c>rotary_emb.inv_freq</c> buffers (ignored: the frequencies come from the config).
/// </para>
/// </summary>
public static class LlamaCheckpoint
{
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>
    /// Writes <paramref name="model"/> (+ named <paramref name="extra"/> tensors) and config.json. With
    /// <paramref name="maxShardBytes"/>, tensors are packed in parameter order into shards of at most that size (a
    /// larger tensor gets a shard of its own) with an index, as <c>save_pretrained(max_shard_size=…)</c> does.
    /// A weights layout left by an earlier save in the other form is removed after the new one is written.
    /// </summary>
    public static void Save(string directory, Llama model, IEnumerable<Tensor>? extra = null,
        IReadOnlyDictionary<string, string>? metadata = null, int? eosTokenId = null, long? maxShardBytes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        var tensors = new List<Tensor>(model.Parameters());
        var names = new HashSet<string>(tensors.Select(t => t.Name!));
        foreach (var t in extra ?? [])
        {
            if (t.Name is null) throw new ArgumentException("LlamaCheckpoint.Save: an extra tensor has no name");
            if (!names.Add(t.Name)) throw new ArgumentException($"LlamaCheckpoint.Save: duplicate tensor name '{t.Name}'");
            tensors.Add(t);
        }
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        foreach (var kv in metadata ?? new Dictionary<string, string>()) meta[kv.Key] = kv.Value;

        string single = Path.Combine(directory, HfCheckpoint.WeightsFile), index = Path.Combine(directory, IndexFile);
        var oldShards = ShardFiles(directory);
        if (maxShardBytes is not long limit)
        {
            Safetensors.Save(single, tensors.ToDictionary(t => t.Name!), meta);
            if (File.Exists(index)) File.Delete(index);
            foreach (var f in oldShards) File.Delete(Path.Combine(directory, f));
        }
        else
        {
            if (limit <= 0) throw new ArgumentException($"LlamaCheckpoint.Save: shard size must be positive, got {limit}");
            var shards = new List<List<Tensor>> { new() };
            long size = 0;
            foreach (var t in tensors)
            {
                long bytes = 4L * t.Size;
                if (shards[^1].Count > 0 && size + bytes > limit) { shards.Add([]); size = 0; }
                shards[^1].Add(t);
                size += bytes;
            }
            var weightMap = new JsonObject();
            var written = new HashSet<string>();
            for (int i = 0; i < shards.Count; i++)
            {
                string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                Safetensors.Save(Path.Combine(directory, file), shards[i].ToDictionary(t => t.Name!), meta);
                written.Add(file);
                foreach (var t in shards[i]) weightMap[t.Name!] = file;
            }
            var indexJson = new JsonObject
            {
                ["metadata"] = new JsonObject { ["total_size"] = tensors.Sum(t => 4L * t.Size) },
                ["weight_map"] = weightMap,
            };
            AtomicFile.WriteAllText(index, indexJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            if (File.Exists(single)) File.Delete(single);
            foreach (var f in oldShards.Where(f => !written.Contains(f))) File.Delete(Path.Combine(directory, f));
        }
        var config = eosTokenId is int eos ? model.Config with { EosTokenId = eos, BosTokenId = model.Config.BosTokenId ?? eos } : model.Config;
        AtomicFile.WriteAllText(Path.Combine(directory, HfCheckpoint.ConfigFile), LlamaConfigJson.Write(config));
        // the checkpoint's stop ids survive training: config.json holds one (the tokenizer's end of text), this file all
        if (model.EosTokenIds.Count > 0) EosTokenIdsJson.Write(directory, model.EosTokenIds, config.BosTokenId);
    }

    /// <summary>Loads a checkpoint directory; tensors outside the trunk (heads) are returned in <paramref name="extra"/>.</summary>
    public static Llama Load(string directory, out IReadOnlyDictionary<string, Tensor> extra)
    {
        var config = LlamaConfigJson.Read(directory);
        var (tensors, source) = ReadWeights(directory);
        foreach (var key in tensors.Keys.Where(k => k.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)).ToList()) tensors.Remove(key);
        if (config.TieWordEmbeddings) tensors.Remove("lm_head.weight");
        var model = new Llama(config) { EosTokenIds = EosTokenIdsJson.Read(directory) };
        var expected = model.Parameters().ToDictionary(p => p.Name!);
        var problems = new List<string>();
        foreach (var (name, p) in expected)
        {
            if (!tensors.TryGetValue(name, out var src)) problems.Add($"missing tensor '{name}' (expected shape {Tensor.ShapeString(p.Shape)})");
            else if (!src.Shape.SequenceEqual(p.Shape)) problems.Add($"tensor '{name}' has shape {Tensor.ShapeString(src.Shape)}, expected {Tensor.ShapeString(p.Shape)}");
        }
        foreach (var name in tensors.Keys.Where(k => !expected.ContainsKey(k) && (k.StartsWith("model.", StringComparison.Ordinal) || k.StartsWith("lm_head.", StringComparison.Ordinal))))
            problems.Add($"unknown tensor '{name}' (not part of a {config.ModelType} model with this config.json)");
        if (problems.Count > 0) throw new InvalidDataException($"{source}: {string.Join("; ", problems)}");
        foreach (var (name, p) in expected)
        {
            tensors[name].Span.CopyTo(p.Span);
            tensors.Remove(name);
        }
        extra = tensors;
        return model;
    }

    /// <summary>Loads a checkpoint directory, ignoring head tensors.</summary>
    public static Llama Load(string directory) => Load(directory, out _);

    /// <summary>
    /// All tensors of the directory's weights by name (converted to F32) and a description of where they came
    /// from for errors: <c>model.safetensors</c>, or the shards listed by <c>model.safetensors.index.json</c>
    /// (each key must be in the shard the index names).
    /// </summary>
    public static (Dictionary<string, Tensor> Tensors, string Source) ReadWeights(string directory)
    {
        string single = Path.Combine(directory, HfCheckpoint.WeightsFile), index = Path.Combine(directory, IndexFile);
        if (File.Exists(single))
            return (new Dictionary<string, Tensor>(Safetensors.Load(single).Tensors), single);
        if (!File.Exists(index))
            throw new FileNotFoundException($"{directory}: no {HfCheckpoint.WeightsFile} and no {IndexFile}", single);
        var weightMap = ReadWeightMap(index);
        var tensors = new Dictionary<string, Tensor>();
        var problems = new List<string>();
        foreach (var file in weightMap.Values.Distinct(StringComparer.Ordinal))
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path)) { problems.Add($"shard '{file}' named in \"weight_map\" does not exist"); continue; }
            foreach (var (name, t) in Safetensors.Load(path).Tensors)
            {
                if (!weightMap.TryGetValue(name, out var owner) || owner != file) continue; // listed elsewhere or not at all
                tensors[name] = t;
            }
        }
        foreach (var (name, file) in weightMap)
            if (!tensors.ContainsKey(name) && File.Exists(Path.Combine(directory, file))) problems.Add($"tensor '{name}' is not in shard '{file}'");
        if (problems.Count > 0) throw new InvalidDataException($"{index}: {string.Join("; ", problems)}");
        return (tensors, index);
    }

    /// <summary>The dtypes stored in the directory's weight files (e.g. ["BF16"]), read from the safetensors headers only.</summary>
    public static IReadOnlyList<string> StoredDTypes(string directory)
    {
        string single = Path.Combine(directory, HfCheckpoint.WeightsFile), index = Path.Combine(directory, IndexFile);
        var files = File.Exists(single) ? [single]
            : File.Exists(index) ? ReadWeightMap(index).Values.Distinct().Select(f => Path.Combine(directory, f)).ToArray()
            : Array.Empty<string>();
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        var len = new byte[8];
        foreach (var file in files.Where(File.Exists))
        {
            using var fs = File.OpenRead(file);
            fs.ReadExactly(len);
            long n = BitConverter.ToInt64(len);
            if (n <= 0 || n > Safetensors.MaxHeaderBytes) throw new InvalidDataException($"{file}: invalid safetensors header length {n}");
            var header = new byte[n];
            fs.ReadExactly(header);
            using var doc = JsonDocument.Parse(header);
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name != "__metadata__" && p.Value.TryGetProperty("dtype", out var d)) dtypes.Add(d.GetString() ?? "?");
        }
        return [.. dtypes];
    }

    private static Dictionary<string, string> ReadWeightMap(string index)
    {
        var obj = LlamaConfigJson.ReadObject(index);
        if (obj["weight_map"] is not JsonObject map) throw new InvalidDataException($"{index}: missing \"weight_map\" object");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                throw new InvalidDataException($"{index}: \"weight_map\".\"{key}\" must be a file name");
            string file = v.GetValue<string>();
            if (file.Contains('/') || file.Contains('\\') || file.Contains(".."))
                throw new InvalidDataException($"{index}: \"weight_map\".\"{key}\" = \"{file}\" must be a file in the checkpoint directory");
            result[key] = file;
        }
        return result;
    }

    /// <summary>Shard files (model-*-of-*.safetensors) present in <paramref name="directory"/>.</summary>
    private static string[] ShardFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, "model-*-of-*.safetensors").Select(f => Path.GetFileName(f)).ToArray()
            : [];
}
