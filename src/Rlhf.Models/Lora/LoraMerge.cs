using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Lora;

/// <summary>
/// <c>rlhf model merge</c>: base + PEFT adapters → one full Hugging Face checkpoint (PEFT's <c>merge_and_unload</c>
/// followed by <c>save_pretrained</c>): W += (α/r)·B·A per adapted projection, in W's own layout.
/// </summary>
public static class LoraMerge
{
    /// <summary>
    /// Writes the merged model of <paramref name="adapterDirectory"/> on <paramref name="baseDirectory"/> (null: the
    /// adapter's <c>base_model_name_or_path</c>) into <paramref name="outDirectory"/>, which must not hold a model yet:
    /// weights and config.json in the family's layout, extra tensors (a reward head) and their metadata, and the
    /// tokenizer of the adapter directory (else of the base) when there is one. Returns the merged model.
    /// </summary>
    public static ICausalLm Run(string adapterDirectory, string? baseDirectory, string outDirectory)
    {
        ArgumentNullException.ThrowIfNull(adapterDirectory);
        ArgumentNullException.ThrowIfNull(outDirectory);
        string existing = Path.Combine(outDirectory, HfCheckpoint.ConfigFile);
        if (File.Exists(existing)) throw new IOException($"{existing} already exists; choose another output directory (or delete it)");
        var model = LoraCheckpoint.LoadMerged(adapterDirectory, baseDirectory, out var extra);
        var metadata = Safetensors.Load(Path.Combine(adapterDirectory, LoraCheckpoint.WeightsFile)).Metadata
            .Where(kv => kv.Key is not ("format" or "rlhf_lora_dropout_rng"))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var heads = extra.Select(kv => { var t = kv.Value.Contiguous(); t.Name = kv.Key; return t; }).ToList();
        string? tokenizerDir = new[] { adapterDirectory, baseDirectory ?? LoraCheckpoint.ReadConfig(adapterDirectory).BaseModel }
            .FirstOrDefault(d => d is not null && (File.Exists(Path.Combine(d, "tokenizer.json")) || File.Exists(Path.Combine(d, "vocab.json"))));
        var tokenizer = tokenizerDir is null ? null : BpeTokenizer.Load(tokenizerDir);
        model.Save(outDirectory, heads, metadata, tokenizer?.EndOfTextId);
        tokenizer?.Save(outDirectory);
        return model;
    }
}
