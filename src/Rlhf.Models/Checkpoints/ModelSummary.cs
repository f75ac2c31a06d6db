using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rlhf.Models.Checkpoints;

/// <summary>
/// What a checkpoint directory holds, read from its config.json, safetensors headers and tokenizer files without
/// loading the weights (for <c>rlhf model info</c>).
/// </summary>
/// <param name="ModelType">HF model_type (gpt2, llama, qwen2, qwen3).</param>
/// <param name="Architecture">One line: layers, hidden size, heads (and K/V heads), MLP width, vocabulary, head tying.</param>
/// <param name="Parameters">Number of parameters (a tied head counted once).</param>
/// <param name="DTypes">Stored weight dtypes (e.g. BF16); empty when no weights file was found.</param>
/// <param name="Context">Longest sequence (n_positions / max_position_embeddings).</param>
/// <param name="Positions">How positions enter: learned, or rotary with θ and scaling.</param>
/// <param name="Tokenizer">Tokenizer files present, or null.</param>
/// <param name="ChatTemplate">The chat template's kind if tokenizer_config.json has one (ChatML, Llama 3 headers, other), or null.</param>
public sealed record ModelSummary(string ModelType, string Architecture, long Parameters, IReadOnlyList<string> DTypes, int Context,
    string Positions, string? Tokenizer, string? ChatTemplate)
{
    /// <summary>Reads the summary of <paramref name="directory"/>; config errors name the file and field.</summary>
    public static ModelSummary Read(string directory)
    {
        string type = CausalLmCheckpoint.ReadModelType(directory);
        string architecture, positions;
        long parameters;
        int context;
        if (type == "gpt2")
        {
            var c = HfCheckpoint.ReadConfig(directory);
            long C = c.NEmbd;
            parameters = (long)c.VocabSize * C + (long)c.NPositions * C + c.NLayer * (12 * C * C + 13 * C) + 2 * C;
            architecture = $"{c.NLayer} layers, hidden {c.NEmbd}, {c.NHead} heads, MLP {4 * c.NEmbd}, vocab {c.VocabSize}, tied head";
            context = c.NPositions;
            positions = "learned";
        }
        else
        {
            var c = LlamaConfigJson.Read(directory);
            parameters = c.ParameterCount;
            architecture = $"{c.NumLayers} layers, hidden {c.HiddenSize}, {c.NumHeads} heads × {c.HeadDim} ({c.NumKvHeads} K/V heads), "
                + $"MLP {c.IntermediateSize}, vocab {c.VocabSize}, {(c.TieWordEmbeddings ? "tied" : "untied")} head"
                + (c.QkvBias ? ", q/k/v bias" : "") + (c.QkNorm ? ", q/k norm" : "");
            context = c.MaxPositions;
            positions = $"rotary θ = {c.RopeTheta:G}" + (c.RopeScaling is { } s ? $", {s.RopeType} scaling × {s.Factor:G} from {s.OriginalMaxPositions}" : "");
        }
        string[] tokenizerFiles = ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json"];
        var present = tokenizerFiles.Where(f => File.Exists(Path.Combine(directory, f))).ToList();
        return new ModelSummary(type, architecture, parameters, LlamaCheckpoint.StoredDTypes(directory), context, positions,
            present.Count == 0 ? null : string.Join(", ", present), ReadTemplateKind(directory));
    }

    /// <summary>The kind of <c>chat_template</c> in tokenizer_config.json (null when there is none).</summary>
    private static string? ReadTemplateKind(string directory)
    {
        string path = Path.Combine(directory, "tokenizer_config.json");
        if (!File.Exists(path)) return null;
        JsonNode? template;
        try { template = JsonNode.Parse(File.ReadAllText(path))?["chat_template"]; }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e); }
        if (template is null) return null;
        string text = template.GetValueKind() == JsonValueKind.String ? template.GetValue<string>() : template.ToJsonString();
        return text.Contains("<|im_start|>", StringComparison.Ordinal) ? "ChatML"
            : text.Contains("<|start_header_id|>", StringComparison.Ordinal) ? "Llama 3 headers"
            : "other (not recognised)";
    }
}
