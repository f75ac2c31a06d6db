using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Checkpoints;

/// <summary>
/// Loads a checkpoint directory of any supported family as an <see cref="ICausalLm"/>, chosen by the
/// <c>model_type</c> of its config.json: gpt2 → <see cref="Gpt"/> (<see cref="HfCheckpoint"/>); llama, qwen2,
/// qwen3 → <see cref="Llama"/> (<see cref="LlamaCheckpoint"/>). Any other value is one error naming the file and field.
/// </summary>
public static class CausalLmCheckpoint
{
    /// <summary>All supported <c>model_type</c> values.</summary>
    public static IReadOnlyList<string> ModelTypes => ["gpt2", .. LlamaConfig.ModelTypes];

    /// <summary>The <c>model_type</c> of the directory's config.json (a GPT-2 config written without one counts as gpt2).</summary>
    public static string ReadModelType(string directory)
    {
        string path = Path.Combine(directory, HfCheckpoint.ConfigFile);
        var obj = LlamaConfigJson.ReadObject(path);
        var node = obj["model_type"];
        if (node is null) return "gpt2";
        string? type = node.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : null;
        if (type is null || !ModelTypes.Contains(type))
            throw new InvalidDataException($"{path}: \"model_type\" is {node.ToJsonString()}; supported: {string.Join(", ", ModelTypes)}");
        return type;
    }

    /// <summary>Loads the model; tensors outside it (heads) are returned in <paramref name="extra"/>.</summary>
    public static ICausalLm Load(string directory, out IReadOnlyDictionary<string, Tensor> extra) =>
        ReadModelType(directory) == "gpt2"
            ? HfCheckpoint.Load(directory, out extra)
            : LlamaCheckpoint.Load(directory, out extra);

    /// <summary>Loads the model, ignoring head tensors.</summary>
    public static ICausalLm Load(string directory) => Load(directory, out _);

    /// <summary>
    /// Copies the weights of checkpoint <paramref name="directory"/> (any family; single file or sharded) into existing
    /// <paramref name="parameters"/> by checkpoint key — a model's own, plus heads saved beside it (<c>score.weight</c>,
    /// <c>v_head.*</c>). Every missing or mis-shaped tensor is named in one error and nothing is modified unless all
    /// match; the tensors no parameter claimed are returned.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> LoadInto(string directory, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (ReadModelType(directory) == "gpt2")
            return HfCheckpoint.LoadInto(parameters, Safetensors.Load(Path.Combine(directory, HfCheckpoint.WeightsFile)), "transformer.");
        var (tensors, source) = LlamaCheckpoint.ReadWeights(directory);
        return HfCheckpoint.LoadInto(parameters, tensors, source);
    }

    /// <summary>
    /// The safetensors metadata of the checkpoint's weights (<c>model.safetensors</c>, or the first shard of a sharded
    /// checkpoint: every shard carries the same): training step, reward normalisation, ….
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string directory)
    {
        string single = Path.Combine(directory, HfCheckpoint.WeightsFile);
        string? file = File.Exists(single) ? single
            : Directory.Exists(directory) ? Directory.GetFiles(directory, "model-*-of-*.safetensors").Order(StringComparer.Ordinal).FirstOrDefault() : null;
        return file is null ? new Dictionary<string, string>() : Safetensors.Load(file).Metadata;
    }
}
