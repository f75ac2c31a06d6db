using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rlhf.Models.Checkpoints;

/// <summary>
/// Reads and writes the <c>config.json</c> of Llama-family checkpoints in the form transformers' <c>LlamaConfig</c>,
/// <c>Qwen2Config</c> and <c>Qwen3Config</c> load. Every problem names the file and the field: an unsupported
/// <c>model_type</c>, rope type or activation, a missing or non-integer size, an absurd size.
/// </summary>
public static class LlamaConfigJson
{
    /// <summary>Reads <c>config.json</c> of <paramref name="directory"/>.</summary>
    public static LlamaConfig Read(string directory)
    {
        string path = Path.Combine(directory, HfCheckpoint.ConfigFile);
        var obj = ReadObject(path);
        var fields = new Fields(obj, path);
        string type = fields.String("model_type") ?? throw fields.Fail("missing \"model_type\"");
        if (!LlamaConfig.ModelTypes.Contains(type))
            throw fields.Fail($"\"model_type\" is \"{type}\"; supported: gpt2, {string.Join(", ", LlamaConfig.ModelTypes)}");
        string act = fields.String("hidden_act") ?? "silu";
        if (act != "silu") throw fields.Fail($"\"hidden_act\" is \"{act}\", only \"silu\" is supported");
        if (fields.Bool("mlp_bias") == true) throw fields.Fail("\"mlp_bias\": true is not supported");
        if (fields.Bool("use_sliding_window") == true) throw fields.Fail("\"use_sliding_window\": true is not supported");

        int hidden = fields.Int("hidden_size"), heads = fields.Int("num_attention_heads");
        // transformers ≥ 5 keeps rope_theta and the scaling in "rope_parameters"; older files use rope_theta + rope_scaling
        var ropeNode = obj["rope_parameters"] as JsonObject;
        var ropeFields = ropeNode is null ? fields : new Fields(ropeNode, path, "rope_parameters.");
        double theta = ropeFields.Double("rope_theta") ?? 10000.0;
        var scaling = ReadRopeScaling(ropeNode ?? obj["rope_scaling"] as JsonObject, path, ropeNode is null ? "rope_scaling." : "rope_parameters.");
        if (ropeNode is null && obj["rope_scaling"] is JsonNode rs && rs is not JsonObject)
            throw fields.Fail($"\"rope_scaling\" must be an object or null, got {rs.ToJsonString()}");

        var config = LlamaConfig.ForFamily(type,
            hiddenSize: hidden,
            intermediateSize: fields.Int("intermediate_size"),
            numLayers: fields.Int("num_hidden_layers"),
            numHeads: heads,
            numKvHeads: fields.IntOrNull("num_key_value_heads") ?? heads,
            vocabSize: fields.Int("vocab_size"),
            maxPositions: fields.Int("max_position_embeddings"),
            ropeTheta: theta,
            tieWordEmbeddings: fields.Bool("tie_word_embeddings") ?? false,
            rmsNormEps: (float)(fields.Double("rms_norm_eps") ?? 1e-6),
            headDim: fields.IntOrNull("head_dim"),
            ropeScaling: scaling,
            attentionBias: type != "qwen2" && (fields.Bool("attention_bias") ?? false),
            bosTokenId: fields.FirstIntOrNull("bos_token_id"),
            eosTokenId: fields.FirstIntOrNull("eos_token_id"));
        var problems = config.Problems();
        if (problems.Count > 0) throw fields.Fail(string.Join("; ", problems));
        return config;
    }

    /// <summary>A rope_scaling object: null (or type "default") = none; "llama3" read; any other type is an error.</summary>
    private static RopeScaling? ReadRopeScaling(JsonObject? node, string path, string prefix)
    {
        if (node is null) return null;
        var f = new Fields(node, path, prefix);
        string? type = f.String("rope_type") ?? f.String("type");
        if (type is null or "default") return null;
        if (type != "llama3")
            throw f.Fail($"\"{prefix}rope_type\" is \"{type}\"; supported: default, llama3");
        return new RopeScaling(type, f.Double("factor") ?? throw f.Fail($"missing \"{prefix}factor\""),
            f.Double("low_freq_factor") ?? 1.0, f.Double("high_freq_factor") ?? 4.0,
            f.IntOrNull("original_max_position_embeddings") ?? throw f.Fail($"missing \"{prefix}original_max_position_embeddings\""));
    }

    /// <summary>The config.json text for <paramref name="config"/> (float32 weights).</summary>
    public static string Write(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string architecture = config.ModelType switch { "qwen2" => "Qwen2ForCausalLM", "qwen3" => "Qwen3ForCausalLM", _ => "LlamaForCausalLM" };
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = config.ModelType,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["num_hidden_layers"] = config.NumLayers,
            ["num_attention_heads"] = config.NumHeads,
            ["num_key_value_heads"] = config.NumKvHeads,
            ["head_dim"] = config.HeadDim,
            ["vocab_size"] = config.VocabSize,
            ["max_position_embeddings"] = config.MaxPositions,
            ["rms_norm_eps"] = config.RmsNormEps,
            ["rope_theta"] = config.RopeTheta,
            ["rope_scaling"] = config.RopeScaling is not { } s ? null : new JsonObject
            {
                ["rope_type"] = s.RopeType,
                ["factor"] = s.Factor,
                ["low_freq_factor"] = s.LowFreqFactor,
                ["high_freq_factor"] = s.HighFreqFactor,
                ["original_max_position_embeddings"] = s.OriginalMaxPositions,
            },
            ["tie_word_embeddings"] = config.TieWordEmbeddings,
            ["hidden_act"] = "silu",
            ["attention_dropout"] = 0.0,
            ["initializer_range"] = 0.02,
            ["use_cache"] = true,
            ["torch_dtype"] = "float32",
        };
        if (config.ModelType == "qwen2")
        {
            json["use_sliding_window"] = false;
            json["sliding_window"] = null;
            json["max_window_layers"] = config.NumLayers;
        }
        else
        {
            json["attention_bias"] = config.OutputBias;
            if (config.ModelType == "llama") json["mlp_bias"] = false;
            else { json["use_sliding_window"] = false; json["sliding_window"] = null; }
        }
        if (config.BosTokenId is int bos) json["bos_token_id"] = bos;
        if (config.EosTokenId is int eos) json["eos_token_id"] = eos;
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The JSON object in <paramref name="path"/>; a missing file or bad JSON is named.</summary>
    internal static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint config not found", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e); }
        return root as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object");
    }

    /// <summary>Typed field access with errors naming the file and the field.</summary>
    private sealed class Fields(JsonObject obj, string path, string prefix = "")
    {
        public InvalidDataException Fail(string what) => new($"{path}: {what}");

        public int Int(string key) => IntOrNull(key) ?? throw Fail($"missing \"{prefix}{key}\"");

        public int? IntOrNull(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            {
                var e = v.GetValue<JsonElement>();
                if (e.TryGetInt64(out long value))
                {
                    if (value is > int.MaxValue or < int.MinValue)
                        throw Fail($"\"{prefix}{key}\" = {value} is too large (at most {int.MaxValue})");
                    return (int)value;
                }
            }
            throw Fail($"\"{prefix}{key}\" must be an integer, got {node.ToJsonString()}");
        }

        /// <summary>An integer, or the first of a list of integers (Llama 3.1 lists several eos ids).</summary>
        public int? FirstIntOrNull(string key)
        {
            if (obj[key] is JsonArray list)
                return list.Count == 0 ? null : new Fields(new JsonObject { [key] = list[0]?.DeepClone() }, path, prefix).IntOrNull(key);
            return IntOrNull(key);
        }

        public double? Double(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number) return v.GetValue<JsonElement>().GetDouble();
            throw Fail($"\"{prefix}{key}\" must be a number, got {node.ToJsonString()}");
        }

        public bool? Bool(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
            throw Fail($"\"{prefix}{key}\" must be true or false, got {node.ToJsonString()}");
        }

        public string? String(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
            throw Fail($"\"{prefix}{key}\" must be a string, got {node.ToJsonString()}");
        }
    }
}
