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

    private readonly FreezableMatrix _embedTokens, _lmHead;

    /// <summary>Token embedding (V, C); throws once the model is frozen to bf16.</summary>
    public Tensor EmbedTokens => _embedTokens.Tensor;

    /// <summary>Decoder layers.</summary>
    public IReadOnlyList<LlamaBlock> Blocks { get; }

    /// <summary>Final RMSNorm.</summary>
    public Layers.RmsNorm Norm { get; }

    /// <summary>Output projection (V, C); the embedding itself when tied; throws once the model is frozen to bf16.</summary>
    public Tensor LmHead => _lmHead.Tensor;

    /// <summary>Rotary frequencies shared by all layers.</summary>
    public RotaryEmbedding Rope { get; }

    /// <summary>A freshly initialised model (HF init: N(0, 0.02²) weights, norms 1, biases 0).</summary>
    public Llama(LlamaConfig config, ulong seed = 1337)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var rng = new Rng(seed);
        _embedTokens = new FreezableMatrix(Parameter.Create("model.embed_tokens.weight", Tensor.Randn(rng, 0.02f, config.VocabSize, config.HiddenSize)));
        Rope = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling);
        var blocks = new LlamaBlock[config.NumLayers];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = new LlamaBlock(config, i, Rope, rng);
        Blocks = blocks;
        Norm = new Layers.RmsNorm("model.norm", config.HiddenSize, config.RmsNormEps);
        _lmHead = config.TieWordEmbeddings
            ? _embedTokens
            : new FreezableMatrix(Parameter.Create("lm_head.weight", Tensor.Randn(rng, 0.02f, config.VocabSize, config.HiddenSize)));
        ParameterCount = Parameters().Sum(p => (long)p.Size);
    }

    /// <inheritdoc />
    public bool GradientCheckpointing { get; set; }

    /// <summary>The dtype the model was frozen to (<see cref="FreezeTo"/>), or null while it is trainable.</summary>
    public Dtype? FrozenDtype { get; private set; }

    /// <inheritdoc />
    public void FreezeTo(Dtype dtype)
    {
        _embedTokens.FreezeTo(dtype);
        _lmHead.FreezeTo(dtype); // the same matrix when tied: freezing it again does nothing
        foreach (var block in Blocks) block.FreezeTo(dtype);
        Frozen.StopGradients([Norm.Weight]);
        FrozenDtype = dtype;
    }

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
    public long ParameterCount { get; }

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
        var x = _embedTokens.Embed(ids, [batch, time]);              // (B, T, C)
        x = DecoderStack.Forward(this, Blocks, x, pass);
        return Norm.Forward(x);                                       // (B, T, C)
    }

    /// <inheritdoc />
    public Tensor Logits(Tensor hidden) => _lmHead.MatMulTransposed(hidden);

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
        var x = _embedTokens.Embed(ids, [B, n]);                                            // (B, n, C)
        foreach (var block in Blocks) x = block.Forward(x, pass);
        return Logits(Norm.Forward(CachedAttention.LastPositions(x)));                       // (B, V)
    }

    /// <inheritdoc />
    public void Save(string directory, IEnumerable<Tensor>? extra = null, IReadOnlyDictionary<string, string>? metadata = null, int? eosTokenId = null) =>
        LlamaCheckpoint.Save(directory, this, extra, metadata, eosTokenId);
}
