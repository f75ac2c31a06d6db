using Rlhf.Models.Layers;
using Rlhf.Tensors;
using Rlhf.Models.Checkpoints;

namespace Rlhf.Models;

/// <summary>
/// GPT-2 language model trunk (nanoGPT's <c>GPT</c>): token + position embeddings → L blocks → final LayerNorm.
/// <see cref="Logits"/> applies the LM head tied to the token embedding (logits = h·wteᵀ). Value and reward heads
/// (<c>Heads/</c>) sit on the same hidden states. Parameter names are HF GPT-2 keys without the
/// <c>transformer.</c> prefix (<c>wte.weight</c>, <c>h.0.attn.c_attn.weight</c>, …).
/// </summary>
public sealed class Gpt : ICausalLm
{
    /// <summary>Architecture.</summary>
    public GptConfig Config { get; }

    private readonly FreezableMatrix _wte, _wpe;

    /// <summary>Token embedding (V, C), also the LM head; throws once the model is frozen to bf16.</summary>
    public Tensor Wte => _wte.Tensor;

    /// <summary>Position embedding (n_positions, C); throws once the model is frozen to bf16.</summary>
    public Tensor Wpe => _wpe.Tensor;

    /// <summary>Transformer blocks.</summary>
    public IReadOnlyList<Block> Blocks { get; }

    /// <summary>Final LayerNorm.</summary>
    public Layers.LayerNorm LnF { get; }

    /// <summary>A freshly initialised model (GPT-2 init: N(0, 0.02²) weights, 0.01 for positions as GPT-2 does).</summary>
    public Gpt(GptConfig config, ulong seed = 1337)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var rng = new Rng(seed);
        _wte = new FreezableMatrix(Parameter.Create("wte.weight", Tensor.Randn(rng, 0.02f, config.VocabSize, config.NEmbd)));
        _wpe = new FreezableMatrix(Parameter.Create("wpe.weight", Tensor.Randn(rng, 0.01f, config.NPositions, config.NEmbd)));
        var blocks = new Block[config.NLayer];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = new Block(config, i, rng);
        Blocks = blocks;
        LnF = new Layers.LayerNorm("ln_f", config.NEmbd, config.LayerNormEpsilon);
        ParameterCount = Parameters().Sum(p => (long)p.Size);
    }

    /// <summary>
    /// Activation (gradient) checkpointing per block: when on, a training forward keeps only each block's input and
    /// recomputes the block's activations during backward (<see cref="Ops.Checkpoint"/>): about one block's
    /// activations resident instead of all L, for one extra forward per step. Gradients are the same.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>All parameters (wte, wpe, blocks, ln_f), each named with its checkpoint key.</summary>
    public IReadOnlyList<Tensor> Parameters() =>
        [Wte, Wpe, .. Blocks.SelectMany(b => b.Parameters()), LnF.Weight, LnF.Bias];

    /// <summary>Number of trainable scalars (tied LM head counted once); unchanged by freezing.</summary>
    public long ParameterCount { get; }

    /// <summary>The dtype the model was frozen to (<see cref="FreezeTo"/>), or null while it is trainable.</summary>
    public Dtype? FrozenDtype { get; private set; }

    /// <inheritdoc />
    public void FreezeTo(Dtype dtype)
    {
        _wte.FreezeTo(dtype);
        _wpe.FreezeTo(dtype);
        foreach (var block in Blocks) block.FreezeTo(dtype);
        Frozen.StopGradients([LnF.Weight, LnF.Bias]);
        FrozenDtype = dtype;
    }

    /// <inheritdoc />
    public string ModelType => "gpt2";

    /// <inheritdoc />
    public int HiddenSize => Config.NEmbd;

    /// <inheritdoc />
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc />
    public int MaxPositions => Config.NPositions;

    /// <summary>
    /// Hidden states (B, T, C) after the final LayerNorm for token ids (B·T, row-major).
    /// <paramref name="attentionMask"/> (B·T, true = real token, false = padding) masks padded keys and, for
    /// left-padded rows, makes positions count from the first real token (HF: position_ids = cumsum(mask) − 1).
    /// </summary>
    public Tensor Forward(int[] ids, int batch, int time, bool[]? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length != batch * time)
            throw new ArgumentException($"Gpt.Forward: {ids.Length} ids for batch {batch} × time {time}");
        if (time > Config.NPositions)
            throw new ArgumentException($"Gpt.Forward: sequence length {time} exceeds the model's context n_positions = {Config.NPositions}");
        if (attentionMask is not null && attentionMask.Length != ids.Length)
            throw new ArgumentException($"Gpt.Forward: attention mask has {attentionMask.Length} entries, expected {ids.Length}");
        var pass = new FullAttention(attentionMask, batch, time);
        var x = _wte.Embed(ids, [batch, time]) + _wpe.Embed(pass.Positions, [batch, time]);                 // (B, T, C)
        x = DecoderStack.Forward(this, Blocks, x, pass);
        var hidden = LnF.Forward(x);                                                                        // (B, T, C)
        // without a graph every intermediate array is garbage now: let the GC take them before the caller's next
        // forward allocates (inference loops: scoring, reference log-probs, evaluation)
        if (!Rlhf.Tensors.Autograd.GradMode.IsEnabled) Rlhf.Tensors.Autograd.MemoryPolicy.MaybeCollect();
        return hidden;
    }

    /// <summary>LM head: (…, C) → (…, V) = h·wteᵀ (weight tying).</summary>
    public Tensor Logits(Tensor hidden) => _wte.MatMulTransposed(hidden);

    /// <inheritdoc />
    public KvCache NewCache(int batch, int capacity) => new(Config, batch, capacity);

    /// <summary>
    /// Mean next-token cross-entropy of the LM head on <paramref name="hidden"/> (…, C), one target per position:
    /// the same value and gradients as <c>Ops.CrossEntropy(Logits(hidden), targets, ignoreIndex, weights)</c>, but
    /// fused (<see cref="Ops.LinearCrossEntropy"/>): the (positions × vocabulary) logits and their gradient are never
    /// held whole, which at a 50k vocabulary saves hundreds of MB per step.
    /// </summary>
    public Tensor LanguageModelLoss(Tensor hidden, int[] targets, int ignoreIndex = -100, float[]? weights = null) =>
        Ops.LinearCrossEntropy(hidden, Wte, targets, ignoreIndex, weights);

    /// <summary>
    /// Incremental (KV-cache) forward without autograd: appends <paramref name="newTokens"/> new positions per row
    /// (ids (B·n), row-major) to <paramref name="cache"/> and returns the logits of the LAST new position of each row
    /// (B, V). <paramref name="newMask"/> (B·n, true = real token) marks padding among the new tokens (left padding
    /// of prompts); positions continue from the cache's per-row count of real tokens. The blocks run the same code
    /// as <see cref="Forward"/>, in a <see cref="CachedAttention"/> pass.
    /// </summary>
    public Tensor ForwardCached(int[] ids, int newTokens, KvCache cache, bool[]? newMask = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(cache);
        int B = cache.Batch, n = newTokens;
        if (ids.Length != B * n) throw new ArgumentException($"Gpt.ForwardCached: {ids.Length} ids for batch {B} × {n} new tokens");
        using var noGrad = Tensor.NoGrad();
        var pass = CachedAttention.Begin(cache, n, newMask);
        var x = _wte.Embed(ids, [B, n]) + _wpe.Embed(pass.Positions, [B, n]);                  // (B, n, C)
        foreach (var block in Blocks) x = block.Forward(x, pass);
        return Logits(LnF.Forward(CachedAttention.LastPositions(x)));                           // (B, V)
    }

    /// <inheritdoc />
    public void Save(string directory, IEnumerable<Tensor>? extra = null, IReadOnlyDictionary<string, string>? metadata = null, int? eosTokenId = null) =>
        HfCheckpoint.Save(directory, this, extra, metadata, eosTokenId);
}
