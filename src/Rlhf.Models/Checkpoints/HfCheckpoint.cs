using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Checkpoints;

/// <summary>
/// Hugging Face GPT-2 checkpoint layout: a directory with <c>model.safetensors</c> (keys
/// <c>transformer.wte.weight</c>, <c>transformer.h.0.attn.c_attn.weight</c> (C, 3C) in Conv1D (in, out)
/// orientation, …; the tied LM head is not stored) and <c>config.json</c> (<c>model_type: gpt2</c>). Tokenizer files
/// (<c>vocab.json</c>, <c>merges.txt</c>, <c>tokenizer.json</c>) are written beside them by the tokenizer.
/// <para>
/// Loading accepts keys with or without the <c>transformer.</c> prefix (the original <c>gpt2</c> files have none),
/// ignores GPT-2's non-parameter buffers (<c>attn.bias</c>, <c>attn.masked_bias</c>) and a tied
/// <c>lm_head.weight</c>, and reports every missing or mis-shaped tensor in one error. Each file is written
/// atomically (temp file, then rename), so an interrupted save never leaves a half-written file behind.
/// </para>
/// </summary>
public static class HfCheckpoint
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";
    private const string Prefix = "transformer.";

    /// <summary>
    /// Writes <paramref name="model"/> (+ <paramref name="extra"/> named tensors such as heads, stored under their own
    /// names) and config.json into <paramref name="directory"/> (created if needed).
    /// </summary>
    public static void Save(string directory, Gpt model, IEnumerable<Tensor>? extra = null,
        IReadOnlyDictionary<string, string>? metadata = null, int? eosTokenId = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var p in model.Parameters()) tensors[Prefix + p.Name] = p;
        foreach (var t in extra ?? [])
        {
            if (t.Name is null) throw new ArgumentException("HfCheckpoint.Save: an extra tensor has no name");
            if (!tensors.TryAdd(t.Name, t)) throw new ArgumentException($"HfCheckpoint.Save: duplicate tensor name '{t.Name}'");
        }
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        foreach (var kv in metadata ?? new Dictionary<string, string>()) meta[kv.Key] = kv.Value;
        Safetensors.Save(Path.Combine(directory, WeightsFile), tensors, meta);
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), ConfigJson(model.Config, eosTokenId));
    }

    /// <summary>HF GPT-2 config.json text for <paramref name="config"/>.</summary>
    public static string ConfigJson(GptConfig config, int? eosTokenId = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["model_type"] = "gpt2",
            ["n_layer"] = config.NLayer,
            ["n_head"] = config.NHead,
            ["n_embd"] = config.NEmbd,
            ["n_positions"] = config.NPositions,
            ["n_ctx"] = config.NPositions,
            ["vocab_size"] = config.VocabSize,
            ["layer_norm_epsilon"] = config.LayerNormEpsilon,
            ["activation_function"] = "gelu_new",
            ["resid_pdrop"] = 0.0,
            ["embd_pdrop"] = 0.0,
            ["attn_pdrop"] = 0.0,
            ["tie_word_embeddings"] = true,
            ["torch_dtype"] = "float32",
        };
        if (eosTokenId is int eos)
        {
            json["bos_token_id"] = eos;
            json["eos_token_id"] = eos;
        }
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads config.json of a checkpoint directory; errors name the file and the problem.</summary>
    public static GptConfig ReadConfig(string directory)
    {
        string path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint config not found", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e); }
        if (root is not JsonObject obj) throw new InvalidDataException($"{path}: expected a JSON object");
        int Int(string key, string? fallback = null)
        {
            var node = obj[key] ?? (fallback is null ? null : obj[fallback]);
            if (node is null) throw new InvalidDataException($"{path}: missing \"{key}\"");
            try { return node.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            { throw new InvalidDataException($"{path}: \"{key}\" must be an integer, got {node.ToJsonString()}", e); }
        }
        string? type = obj["model_type"]?.GetValue<string>();
        if (type is not null && type != "gpt2") throw new InvalidDataException($"{path}: model_type is \"{type}\", only \"gpt2\" is supported");
        float eps = obj["layer_norm_epsilon"]?.GetValue<float>() ?? 1e-5f;
        if (obj["activation_function"] is { } act && !GptConfig.Activations.Contains(act.ToString()))
            throw new InvalidDataException($"{path}: activation_function is {act.ToJsonString()}; this GPT-2 implements only the tanh GELU ({string.Join(", ", GptConfig.Activations)})");
        var config = new GptConfig(Int("n_layer"), Int("n_head"), Int("n_embd"), Int("n_positions", "n_ctx"), Int("vocab_size"), eps);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return config;
    }

    /// <summary>
    /// Loads a GPT-2 checkpoint directory into a new <see cref="Gpt"/>. Tensors other than the trunk's (heads) are
    /// returned in <paramref name="extra"/> by name for the caller to claim.
    /// </summary>
    public static Gpt Load(string directory, out IReadOnlyDictionary<string, Tensor> extra)
    {
        var config = ReadConfig(directory);
        var model = new Gpt(config);
        var file = Safetensors.Load(Path.Combine(directory, WeightsFile));
        extra = LoadInto(model.Parameters(), file, stripPrefix: Prefix);
        return model;
    }

    /// <summary>Loads a GPT-2 checkpoint directory, ignoring any extra tensors.</summary>
    public static Gpt Load(string directory) => Load(directory, out _);

    /// <summary>
    /// Copies tensors from <paramref name="file"/> into <paramref name="parameters"/> by name (a key may carry
    /// <paramref name="stripPrefix"/>). Every missing or mis-shaped parameter is listed in one
    /// <see cref="InvalidDataException"/>; nothing is modified unless all match. Returns the tensors that matched no
    /// parameter (minus GPT-2's known buffers).
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> LoadInto(IEnumerable<Tensor> parameters, SafetensorsFile file, string stripPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(file);
        return LoadInto(parameters, file.Tensors, file.Source, stripPrefix);
    }

    /// <summary>
    /// <see cref="LoadInto(IEnumerable{Tensor}, SafetensorsFile, string)"/> for tensors already read by name
    /// (<paramref name="source"/> names where they came from in the error).
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> LoadInto(IEnumerable<Tensor> parameters, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        string source, string stripPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var available = new Dictionary<string, Tensor>();
        foreach (var (key, t) in tensors)
            available[stripPrefix.Length > 0 && key.StartsWith(stripPrefix, StringComparison.Ordinal) ? key[stripPrefix.Length..] : key] = t;
        var problems = new List<string>();
        var plan = new List<(Tensor Dst, Tensor Src)>();
        foreach (var p in parameters)
        {
            string name = p.Name ?? throw new ArgumentException("HfCheckpoint: a parameter has no name");
            if (!available.Remove(name, out var src)) { problems.Add($"missing tensor '{name}' (expected shape {Tensor.ShapeString(p.Shape)})"); continue; }
            if (!src.Shape.SequenceEqual(p.Shape)) { problems.Add($"tensor '{name}' has shape {Tensor.ShapeString(src.Shape)}, expected {Tensor.ShapeString(p.Shape)}"); continue; }
            plan.Add((p, src));
        }
        if (problems.Count > 0) throw new InvalidDataException($"{source}: {string.Join("; ", problems)}");
        foreach (var (dst, src) in plan) src.Span.CopyTo(dst.Span);
        foreach (var key in available.Keys.Where(IsKnownBuffer).ToList()) available.Remove(key);
        return available;
    }

    private static bool IsKnownBuffer(string key) =>
        key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal)
        || key == "lm_head.weight";
}
