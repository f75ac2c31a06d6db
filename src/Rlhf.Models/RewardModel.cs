using Rlhf.Models.Checkpoints;
using Rlhf.Models.Heads;
using Rlhf.Tensors;

namespace Rlhf.Models;

/// <summary>
/// A reward model: a language-model trunk of any family (<see cref="ICausalLm"/>) with a scalar <see cref="RewardHead"/>
/// read at each sequence's last real token (HF <c>GPT2ForSequenceClassification</c> / <c>LlamaForSequenceClassification</c>
/// with one label: the trunk in its family's layout plus <c>score.weight</c>). <see cref="Mean"/> and <see cref="Std"/> normalise raw
/// scores (set after training so reference-policy samples score mean 0, std 1) and travel with the checkpoint.
/// </summary>
public sealed class RewardModel
{
    private const string MeanKey = "reward_mean";
    private const string StdKey = "reward_std";

    /// <summary>The transformer trunk.</summary>
    public ICausalLm Trunk { get; }

    /// <summary>The scalar head.</summary>
    public RewardHead Head { get; }

    /// <summary>Score offset subtracted by <see cref="Normalize"/>.</summary>
    public float Mean { get; set; }

    /// <summary>Score scale divided out by <see cref="Normalize"/> (1 = none).</summary>
    public float Std { get; set; } = 1f;

    /// <summary>A reward model on <paramref name="trunk"/> (e.g. an SFT model) with a fresh head.</summary>
    public RewardModel(ICausalLm trunk, ulong seed = 7, RewardHead? head = null)
    {
        ArgumentNullException.ThrowIfNull(trunk);
        Trunk = trunk;
        Head = head ?? new RewardHead(trunk.HiddenSize, new Rng(seed));
    }

    /// <summary>Trunk and head parameters.</summary>
    public IReadOnlyList<Tensor> Parameters() => [.. Trunk.Parameters(), .. Head.Parameters()];

    /// <summary>
    /// Makes the reward model frozen and forward-only: the trunk as <see cref="ICausalLm.FreezeTo"/> (bf16 weight
    /// matrices with <see cref="Dtype.BF16"/>), the head float32 without gradients. Scores stay usable; training,
    /// saving and <see cref="Parameters"/> are refused afterwards when frozen to bf16.
    /// </summary>
    public void FreezeTo(Dtype dtype)
    {
        Trunk.FreezeTo(dtype);
        Layers.Frozen.StopGradients(Head.Parameters());
    }

    /// <summary>Raw scores (B) of token ids (B·T, row-major) with an attention mask (true = real token; null = all real).</summary>
    public Tensor Scores(int[] ids, int batch, int time, bool[]? attentionMask = null) =>
        Head.Forward(Trunk.Forward(ids, batch, time, attentionMask), attentionMask);

    /// <summary>(raw − Mean) / Std.</summary>
    public float Normalize(float raw) => (raw - Mean) / Std;

    /// <summary>Saves trunk, head (<c>score.weight</c>) and the normalisation (metadata) in the trunk family's HF layout.</summary>
    public void Save(string directory, int? eosTokenId = null) =>
        Trunk.Save(directory, Head.Parameters(), NormalizationMetadata(), eosTokenId);

    /// <summary>The safetensors metadata entries that store <see cref="Mean"/> and <see cref="Std"/> (read back by <see cref="Load"/>).</summary>
    public IReadOnlyDictionary<string, string> NormalizationMetadata() => new Dictionary<string, string>
    {
        [MeanKey] = Mean.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        [StdKey] = Std.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Loads a reward model saved by <see cref="Save"/> or a LoRA reward-model checkpoint (see <see cref="Load(string, ICausalLm?)"/>).</summary>
    public static RewardModel Load(string directory) => Load(directory, null);

    /// <summary>
    /// Loads a reward model saved by <see cref="Save"/>, or a LoRA reward-model checkpoint (PEFT adapter directory with
    /// <c>score.weight</c> beside the adapters; the adapters merged into the trunk); a checkpoint without
    /// <c>score.weight</c> is an error. With <paramref name="trunk"/> (a LoRA run resuming: its base with the adapters
    /// attached) only the head and the normalisation are read from the directory.
    /// </summary>
    public static RewardModel Load(string directory, ICausalLm? trunk)
    {
        bool adapter = !File.Exists(Path.Combine(directory, HfCheckpoint.ConfigFile)) && Lora.LoraCheckpoint.IsAdapterDirectory(directory);
        string weightsPath = Path.Combine(directory, adapter ? Lora.LoraCheckpoint.WeightsFile : HfCheckpoint.WeightsFile);
        IReadOnlyDictionary<string, Tensor> extra;
        if (trunk is not null) extra = Tensors.Serialization.Safetensors.Load(weightsPath).Tensors;
        else trunk = CausalLmCheckpoint.Load(directory, out extra);
        var head = new RewardHead(trunk.HiddenSize, new Rng(0));
        if (!extra.TryGetValue("score.weight", out var weight))
            throw new InvalidDataException($"{weightsPath}: no 'score.weight' tensor: not a reward model checkpoint");
        if (!weight.Shape.SequenceEqual(head.Weight.Shape))
            throw new InvalidDataException($"{weightsPath}: 'score.weight' has shape {Tensor.ShapeString(weight.Shape)}, expected {Tensor.ShapeString(head.Weight.Shape)}");
        weight.Contiguous().Span.CopyTo(head.Weight.Span);
        var meta = adapter ? Tensors.Serialization.Safetensors.Load(weightsPath).Metadata : CausalLmCheckpoint.ReadMetadata(directory);
        var model = new RewardModel(trunk, head: head)
        {
            Mean = meta.TryGetValue(MeanKey, out var m) ? float.Parse(m, System.Globalization.CultureInfo.InvariantCulture) : 0f,
            Std = meta.TryGetValue(StdKey, out var s) ? float.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 1f,
        };
        model.CheckUsable(weightsPath);
        return model;
    }

    /// <summary>
    /// Refuses a model that cannot give a usable reward: a stored <c>reward_std</c> that is not a positive finite number
    /// or a non-finite <c>reward_mean</c> (every normalised score would be ±∞ or NaN), or weights that make the score
    /// of a probe sequence (token 0 alone) NaN or infinite. <paramref name="source"/> names the file in the message.
    /// </summary>
    public void CheckUsable(string source)
    {
        if (!float.IsFinite(Std) || Std <= 0)
            throw new InvalidDataException($"{source}: {StdKey} is {Std}; it must be a positive finite number (every normalised score would be ±∞ or NaN): not a usable reward model");
        if (!float.IsFinite(Mean))
            throw new InvalidDataException($"{source}: {MeanKey} is {Mean}; it must be finite: not a usable reward model");
        float probe;
        using (Tensor.NoGrad()) probe = Scores([0], 1, 1).ToArray()[0];
        if (!float.IsFinite(probe))
            throw new InvalidDataException($"{source}: the model scores a probe sequence {probe} (NaN or infinite weights?): not a usable reward model");
    }
}
