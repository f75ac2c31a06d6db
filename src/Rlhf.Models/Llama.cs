using Rlhf.Models.Checkpoints;
using Rlhf.Models.Layers;
using Rlhf.Tensors;

namespace Rlhf.Models;

/// <summary>
/// Llama-family decoder (HF <c>LlamaForCausalLM</c>, <c>Qwen2ForCausalLM</c>, <c>Qwen3ForCausalLM</c>):
/// token embedding → L <see cref="LlamaBlock"/>s → final RMSNorm; <see cref="Logits"/> applies <c>lm_head</c>, or
/// the embedding when <c>tie_word_embeddings</c>. Positions enter only through the rotary embedding inside
/// attention. Parameter names are the HF keys (<c>model.embed_tokens.weight</c>, <c>model.layers.0…</c>,
/// <c>model.norm.weight</c>, <c>lm_head.weight</c>).
/// </summary>
public sealed class Llama : ICausalLm
{
    /// <summary>Architecture.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Token embedding (V, C).</summary>
    public Tensor EmbedTokens { get; }

    /// <summary>Decoder layers.</summary>
    public IReadOnlyList<LlamaBlock> Blocks { get; }

    /// <summary>Final RMSNorm.</summary>
    public Layers.RmsNorm Norm { get; }

    /// <summary>Output projection (V, C); the embedding itself when tied.</summary>
    public Tensor LmHead { get; }

    /// <summary>Rotary frequencies shared by all layers.</summary>
    public RotaryEmbedding Rope { get; }

    /// <summary>A freshly initialised model (HF init: N(0, 0.02²) weights, norms 1, biases 0).</summary>
    public Llama(LlamaConfig config, ulong seed = 1337)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var rng = new Rng(seed);
        EmbedTokens = Parameter.Create("model.embed_tokens.weight", Tensor.Randn(rng, 0.02f, config.VocabSize, config.HiddenSize));
        Rope = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling);
        var blocks = new LlamaBlock[config.NumLayers];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = new LlamaBlock(config, i, Rope, rng);
        Blocks = blocks;
        Norm = new Layers.RmsNorm("model.norm", config.HiddenSize, config.RmsNormEps);
        LmHead = config.TieWordEmbeddings
            ? EmbedTokens
            : Parameter.Create("lm_head.weight", Tensor.Randn(rng, 0.02f, config.VocabSize, config.HiddenSize));
    }

    /// <summary>
    /// Activation (gradient) checkpointing per block, as <see cref="Gpt.GradientCheckpointing"/>: a training forward
    /// keeps only each block's input and recomputes the block in backward (<see cref="Ops.Checkpoint"/>); values and
    /// gradients are bit-identical, for about one extra forward per step.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <inheritdoc />
    public string ModelType => Config.ModelType;

    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int MaxPositions => Config.MaxPositions;

    /// <inheritdoc />
    public IReadOnlyList<int> EosTokenIds { get; set; } = [];

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters() =>
        [EmbedTokens, .. Blocks.SelectMany(b => b.Parameters()), Norm.Weight, .. Config.TieWordEmbeddings ? [] : new[] { LmHead }];

    /// <inheritdoc />
    public long ParameterCount => Parameters().Sum(p => (long)p.Size);

    /// <inheritdoc />
    public Tensor Forward(int[] ids, int batch, int time, bool[]? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length != batch * time)
            throw new ArgumentException($"Llama.Forward: {ids.Length} ids for batch {batch} × time {time}");
        if (time > Config.MaxPositions)
            throw new ArgumentException($"Llama.Forward: sequence length {time} exceeds the model's context max_position_embeddings = {Config.MaxPositions}");
        if (attentionMask is not null && attentionMask.Length != ids.Length)
            throw new ArgumentException($"Llama.Forward: attention mask has {attentionMask.Length} entries, expected {ids.Length}");
        var pass = new FullAttention(attentionMask, batch, time);
        var x = Ops.Embedding(ids, [batch, time], EmbedTokens);      // (B, T, C)
        if (GradientCheckpointing && Lora.LoraAdapters.Find(this) is { Config.Dropout: > 0 })
            throw new NotSupportedException("gradient checkpointing recomputes each block, which would draw new LoRA dropout masks: use LoRA dropout 0 with it");
        foreach (var block in Blocks)
            x = GradientCheckpointing ? Ops.Checkpoint(h => block.Forward(h, pass), x, [.. block.Parameters(), .. block.AdapterParameters()]) : block.Forward(x, pass);
        return Norm.Forward(x);                                       // (B, T, C)
    }

    /// <inheritdoc />
    public Tensor Logits(Tensor hidden) => Ops.MatMul(hidden, LmHead, transB: true);

    /// <inheritdoc />
    public Tensor LanguageModelLoss(Tensor hidden, int[] targets, int ignoreIndex = -100, float[]? weights = null) =>
        Ops.LinearCrossEntropy(hidden, LmHead, targets, ignoreIndex, weights);

    /// <inheritdoc />
    public KvCache NewCache(int batch, int capacity) => new(Config.NumLayers, Config.KvWidth, Config.MaxPositions, batch, capacity);

    /// <inheritdoc />
    public Tensor ForwardCached(int[] ids, int newTokens, KvCache cache, bool[]? newMask = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(cache);
        int B = cache.Batch, n = newTokens;
        if (ids.Length != B * n) throw new ArgumentException($"Llama.ForwardCached: {ids.Length} ids for batch {B} × {n} new tokens");
        using var noGrad = Tensor.NoGrad();
        var pass = CachedAttention.Begin(cache, n, newMask);
        var x = Ops.Embedding(ids, [B, n], EmbedTokens);                                    // (B, n, C)
        foreach (var block in Blocks) x = block.Forward(x, pass);
        return Logits(Norm.Forward(CachedAttention.LastPositions(x)));                       // (B, V)
    }

    /// <inheritdoc />
    public void Save(string directory, IEnumerable<Tensor>? extra = null, IReadOnlyDictionary<string, string>? metadata = null, int? eosTokenId = null) =>
        LlamaCheckpoint.Save(directory, this, extra, metadata, eosTokenId);
}
