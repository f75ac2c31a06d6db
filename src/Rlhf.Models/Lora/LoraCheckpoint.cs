using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Models.Checkpoints;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Lora;

/// <summary>
/// LoRA adapters in PEFT's directory layout, so PEFT's <c>PeftModel.from_pretrained(base, dir)</c> reads what this
/// writes and the other way round:
/// <list type="bullet">
/// <item><c>adapter_config.json</c>: <c>peft_type</c> "LORA", <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>,
/// <c>target_modules</c>, <c>fan_in_fan_out</c> (true for GPT-2's Conv1D), <c>bias</c> "none", <c>task_type</c>,
/// <c>base_model_name_or_path</c>;</item>
/// <item><c>adapter_model.safetensors</c>: <c>base_model.model.&lt;module&gt;.lora_A.weight</c> (r, in) and
/// <c>.lora_B.weight</c> (out, r) per adapted module (PEFT's saved keys: the adapter name "default" removed), plus any
/// extra tensors (a reward or value head) under their own names.</item>
/// </list>
/// </summary>
public static class LoraCheckpoint
{
    /// <summary>PEFT's config file name.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>PEFT's weights file name.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Prefix of every adapter key (PEFT's <c>PeftModel.base_model.model</c>).</summary>
    public const string KeyPrefix = "base_model.model.";

    private const string DropoutRngKey = "rlhf_lora_dropout_rng";

    /// <summary>True when <paramref name="directory"/> holds an <c>adapter_config.json</c>.</summary>
    public static bool IsAdapterDirectory(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    /// <summary>
    /// Writes <paramref name="adapters"/> (+ <paramref name="extra"/> named tensors) and adapter_config.json into
    /// <paramref name="directory"/> (created if needed), each file atomically. <paramref name="taskType"/> is PEFT's
    /// <c>task_type</c> (CAUSAL_LM, or SEQ_CLS for a reward model).
    /// </summary>
    public static void Save(string directory, LoraAdapters adapters, IEnumerable<Tensor>? extra = null,
        IReadOnlyDictionary<string, string>? metadata = null, string taskType = "CAUSAL_LM")
    {
        ArgumentNullException.ThrowIfNull(adapters);
        Directory.CreateDirectory(directory);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var p in adapters.Parameters()) tensors[p.Name!] = p;
        foreach (var t in extra ?? [])
        {
            if (t.Name is null) throw new ArgumentException("LoraCheckpoint.Save: an extra tensor has no name");
            if (!tensors.TryAdd(t.Name, t)) throw new ArgumentException($"LoraCheckpoint.Save: duplicate tensor name '{t.Name}'");
        }
        var meta = new Dictionary<string, string> { ["format"] = "pt", [DropoutRngKey] = JsonSerializer.Serialize(adapters.DropoutRng.GetState()) };
        foreach (var kv in metadata ?? new Dictionary<string, string>()) meta[kv.Key] = kv.Value;
        Safetensors.Save(Path.Combine(directory, WeightsFile), tensors, meta);
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), ConfigJson(adapters, taskType));
    }

    /// <summary>PEFT adapter_config.json text for <paramref name="adapters"/>.</summary>
    public static string ConfigJson(LoraAdapters adapters, string taskType = "CAUSAL_LM")
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var c = adapters.Config;
        var json = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = taskType,
            ["base_model_name_or_path"] = adapters.BaseModelPath,
            ["r"] = c.Rank,
            ["lora_alpha"] = c.Alpha,
            ["lora_dropout"] = c.Dropout,
            ["target_modules"] = new JsonArray([.. (c.Targets ?? LoraConfig.DefaultTargets(adapters.ModelType)).Select(t => (JsonNode)t)]),
            ["fan_in_fan_out"] = adapters.ModelType == "gpt2",
            ["bias"] = "none",
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["revision"] = null,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// The settings and base model of an adapter directory. Throws <see cref="InvalidDataException"/> naming the file
    /// and field for anything this implementation does not read the same way as PEFT (bias, DoRA, rsLoRA, other
    /// PEFT types).
    /// </summary>
    public static (LoraConfig Config, string? BaseModel) ReadConfig(string directory)
    {
        string path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: adapter config not found", path);
        JsonObject obj;
        try { obj = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e); }
        InvalidDataException Fail(string field, string what) => new($"{path}: \"{field}\": {what}");
        string? Str(string field) => obj[field] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        double Num(string field, double fallback)
        {
            if (obj[field] is null) return fallback;
            return obj[field] is JsonValue v && v.TryGetValue(out double d) ? d : throw Fail(field, $"expected a number, got {obj[field]!.ToJsonString()}");
        }
        if (Str("peft_type") != "LORA") throw Fail("peft_type", $"is {obj["peft_type"]?.ToJsonString() ?? "missing"}; only \"LORA\" adapters are supported");
        if ((Str("bias") ?? "none") != "none") throw Fail("bias", "only \"none\" is supported");
        foreach (var flag in new[] { "use_dora", "use_rslora" })
            if (obj[flag] is JsonValue f && f.TryGetValue(out bool on) && on) throw Fail(flag, "true is not supported");
        double r = Num("r", double.NaN);
        if (!(r >= 1) || r != Math.Floor(r)) throw Fail("r", $"expected a whole number ≥ 1, got {obj["r"]?.ToJsonString() ?? "nothing"}");
        IReadOnlyList<string>? targets = obj["target_modules"] switch
        {
            JsonArray a => [.. a.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw Fail("target_modules", $"expected module names, got {n?.ToJsonString()}"))],
            JsonValue v when v.TryGetValue(out string? s) => throw Fail("target_modules", $"a regular expression (\"{s}\") is not supported; list the module names"),
            null => null,
            var other => throw Fail("target_modules", $"expected a list of module names, got {other.ToJsonString()}"),
        };
        var config = new LoraConfig { Rank = (int)r, Alpha = (float)Num("lora_alpha", 8), Dropout = (float)Num("lora_dropout", 0), Targets = targets };
        if (config.Problems() is { Count: > 0 } problems) throw new InvalidDataException($"{path}: {string.Join("; ", problems.Select(p => p.Message))}");
        return (config, Str("base_model_name_or_path"));
    }

    /// <summary>
    /// Attaches the adapters of <paramref name="directory"/> to <paramref name="model"/> with their saved weights
    /// (trainable; the base frozen) and returns them; tensors that are not adapters (heads) go to
    /// <paramref name="extra"/>. Every missing or mis-shaped adapter tensor is named in one
    /// <see cref="InvalidDataException"/>, and the model is left without adapters then.
    /// </summary>
    public static LoraAdapters LoadInto(ICausalLm model, string directory, out IReadOnlyDictionary<string, Tensor> extra, string? baseModelPath = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (config, savedBase) = ReadConfig(directory);
        LoraAdapters adapters;
        try { adapters = LoraAdapters.Attach(model, config, seed: 0, baseModelPath ?? savedBase); }
        catch (ArgumentException e) { throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: {e.Message}", e); }
        try { extra = LoadValues(directory, adapters, []); }
        catch (InvalidDataException)
        {
            adapters.Detach();
            throw;
        }
        return adapters;
    }

    /// <summary>
    /// Copies the saved adapter tensors of <paramref name="directory"/> and the named <paramref name="alsoLoad"/>
    /// tensors (a value head trained with the adapters) into the attached <paramref name="adapters"/>, and restores the
    /// dropout generator; nothing changes unless every tensor is there with its shape (else one
    /// <see cref="InvalidDataException"/> naming each problem). Returns the file's other tensors.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> LoadValues(string directory, LoraAdapters adapters, IEnumerable<Tensor> alsoLoad)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(alsoLoad);
        string weightsPath = Path.Combine(directory, WeightsFile);
        var file = Safetensors.Load(weightsPath);
        var available = new Dictionary<string, Tensor>(file.Tensors);
        var problems = new List<string>();
        var plan = new List<(Tensor Dst, Tensor Src)>();
        foreach (var p in adapters.Parameters().Concat(alsoLoad))
        {
            if (!available.Remove(p.Name!, out var src)) problems.Add($"missing tensor '{p.Name}' (expected shape {Tensor.ShapeString(p.Shape)})");
            else if (!src.Shape.SequenceEqual(p.Shape)) problems.Add($"tensor '{p.Name}' has shape {Tensor.ShapeString(src.Shape)}, expected {Tensor.ShapeString(p.Shape)}");
            else plan.Add((p, src));
        }
        foreach (var key in available.Keys.Where(k => k.Contains(".lora_", StringComparison.Ordinal)))
            problems.Add($"unknown adapter tensor '{key}' (its module is not among target_modules of this {adapters.ModelType} model)");
        if (problems.Count > 0) throw new InvalidDataException($"{weightsPath}: {string.Join("; ", problems)}");
        foreach (var (dst, src) in plan) src.Contiguous().Span.CopyTo(dst.Span);
        if (file.Metadata.TryGetValue(DropoutRngKey, out var rng) && JsonSerializer.Deserialize<RngState>(rng) is { } state) adapters.DropoutRng.SetState(state);
        return available;
    }

    /// <summary>
    /// Loads base + adapters: the base model from <paramref name="baseDirectory"/> (null: the config's
    /// <c>base_model_name_or_path</c>) with the adapters of <paramref name="directory"/> attached and trainable.
    /// </summary>
    public static (ICausalLm Model, LoraAdapters Adapters) Load(string directory, string? baseDirectory, out IReadOnlyDictionary<string, Tensor> extra)
    {
        var (_, savedBase) = ReadConfig(directory);
        string baseDir = baseDirectory ?? savedBase
            ?? throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: \"base_model_name_or_path\" is missing; name the base model (--init / --base)");
        if (!File.Exists(Path.Combine(baseDir, HfCheckpoint.ConfigFile)))
            throw new DirectoryNotFoundException($"{Path.Combine(directory, ConfigFile)}: base model '{baseDir}' is not a model directory here (no {HfCheckpoint.ConfigFile}); name it with --init / --base");
        var model = CausalLmCheckpoint.Load(baseDir);
        var adapters = LoadInto(model, directory, out extra, Path.GetFullPath(baseDir));
        return (model, adapters);
    }

    /// <summary>Base + adapters of <paramref name="directory"/> merged into one plain model (for inference and <c>rlhf model merge</c>).</summary>
    public static ICausalLm LoadMerged(string directory, string? baseDirectory, out IReadOnlyDictionary<string, Tensor> extra)
    {
        var (model, adapters) = Load(directory, baseDirectory, out extra);
        adapters.MergeAndDetach();
        return model;
    }
}
