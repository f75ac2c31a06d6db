using Rlhf.Models.Layers;
using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Models;

/// <summary>
/// GPT-2 language model trunk (nanoGPT's <c>GPT</c>): token + position embeddings → L blocks → final LayerNorm.
/// <see cref="Logits"/> applies the LM head tied to the token embedding (logits = h·wteᵀ). Value and reward heads
/// (<c>Heads/</c>) sit on the same hidden states. Parameter names are HF GPT-2 keys without the
/// <c>transformer.</c> prefix (<c>wte.weight</c>, <c>h.0.attn.c_attn.weight</c>, …).
/// </summary>
public sealed class Gpt
{
    /// <summary>Architecture.</summary>
    public GptConfig Config { get; }

    /// <summary>Token embedding (V, C), also the LM head.</summary>
    public Tensor Wte { get; }

    /// <summary>Position embedding (n_positions, C).</summary>
    public Tensor Wpe { get; }

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
        Wte = Parameter.Create("wte.weight", Tensor.Randn(rng, 0.02f, config.VocabSize, config.NEmbd));
        Wpe = Parameter.Create("wpe.weight", Tensor.Randn(rng, 0.01f, config.NPositions, config.NEmbd));
        var blocks = new Block[config.NLayer];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = new Block(config, i, rng);
        Blocks = blocks;
        LnF = new Layers.LayerNorm("ln_f", config.NEmbd, config.LayerNormEpsilon);
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

    /// <summary>Number of trainable scalars (tied LM head counted once).</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Size);

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
        var positions = PositionIds(attentionMask, batch, time);
        var x = Ops.Embedding(ids, [batch, time], Wte) + Ops.Embedding(positions, [batch, time], Wpe); // (B, T, C)
        foreach (var block in Blocks)
            x = GradientCheckpointing ? Ops.Checkpoint(h => block.Forward(h, attentionMask), x, [.. block.Parameters()]) : block.Forward(x, attentionMask);
        var hidden = LnF.Forward(x);                                                                    // (B, T, C)
        // without a graph every intermediate array is garbage now: let the GC take them before the caller's next
        // forward allocates (inference loops: scoring, reference log-probs, evaluation)
        if (!Rlhf.Tensors.Autograd.GradMode.IsEnabled) Rlhf.Tensors.Autograd.MemoryPolicy.MaybeCollect();
        return hidden;
    }

    /// <summary>LM head: (…, C) → (…, V) = h·wteᵀ (weight tying).</summary>
    public Tensor Logits(Tensor hidden) => Ops.MatMul(hidden, Wte, transB: true);

    /// <summary>
    /// Mean next-token cross-entropy of the LM head on <paramref name="hidden"/> (…, C), one target per position:
    /// the same value and gradients as <c>Ops.CrossEntropy(Logits(hidden), targets, ignoreIndex, weights)</c>, but
    /// fused (<see cref="Ops.LinearCrossEntropy"/>): the (positions × vocabulary) logits and their gradient are never
    /// held whole, which at a 50k vocabulary saves hundreds of MB per step.
    /// </summary>
    public Tensor LanguageModelLoss(Tensor hidden, int[] targets, int ignoreIndex = -100, float[]? weights = null) =>
        Ops.LinearCrossEntropy(hidden, Wte, targets, ignoreIndex, weights);

    /// <summary>
    /// Position ids (B·T): 0..T−1 without a mask; with one, cumsum(mask) − 1 clamped at 0 per row, so a left-padded
    /// prompt's first real token gets position 0.
    /// </summary>
    public static int[] PositionIds(bool[]? attentionMask, int batch, int time)
    {
        var positions = new int[batch * time];
        for (int b = 0; b < batch; b++)
        {
            int count = 0;
            for (int t = 0; t < time; t++)
            {
                int i = b * time + t;
                if (attentionMask is null) positions[i] = t;
                else
                {
                    if (attentionMask[i]) count++;
                    positions[i] = Math.Max(0, count - 1);
                }
            }
        }
        return positions;
    }

    /// <summary>
    /// y = x·W + b with W given transposed (out, in): during decoding only a few rows multiply each weight, the product
    /// is bound by reading W, and reading it row by row (dots along contiguous memory) is about twice as fast as
    /// walking the (in, out) layout column strip by column strip.
    /// </summary>
    private static Tensor LinearT(Tensor x, float[] weightT, Tensor bias)
    {
        int outF = bias.Size, inF = x.Shape[^1], rows = x.Size / inF;
        var shape = x.ShapeArray();
        shape[^1] = outF;
        var y = Tensor.Uninitialized(shape);
        Gemm.MultiplyAddBias(false, true, rows, outF, inF, x.Span, inF, weightT, inF, bias.Span, y.Span, outF);
        return y;
    }

    /// <summary>
    /// Incremental (KV-cache) forward without autograd: appends <paramref name="newTokens"/> new positions per row
    /// (ids (B·n), row-major) to <paramref name="cache"/> and returns the logits of the LAST new position of each row
    /// (B, V). <paramref name="newMask"/> (B·n, true = real token) marks padding among the new tokens (left padding
    /// of prompts); positions continue from the cache's per-row count of real tokens.
    /// </summary>
    public Tensor ForwardCached(int[] ids, int newTokens, KvCache cache, bool[]? newMask = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(cache);
        int B = cache.Batch, n = newTokens, C = Config.NEmbd, start = cache.Length;
        if (ids.Length != B * n) throw new ArgumentException($"Gpt.ForwardCached: {ids.Length} ids for batch {B} × {n} new tokens");
        if (start + n > cache.Capacity)
            throw new ArgumentException($"Gpt.ForwardCached: {start} cached + {n} new positions exceed the cache capacity {cache.Capacity}");
        using var noGrad = Tensor.NoGrad();
        var positions = cache.Append(newMask, n);                                             // (B·n)
        var x = Ops.Embedding(ids, [B, n], Wte) + Ops.Embedding(positions, [B, n], Wpe);    // (B, n, C)
        var attn = Tensor.Zeros(B, n, C);
        // few rows (decoding): multiply by transposed weight copies; many rows (prefill): the ordinary layers
        var weightsT = B * n <= Gemm.SmallM ? cache.TransposedWeights(this) : null;
        for (int l = 0; l < Blocks.Count; l++)
        {
            var block = Blocks[l];
            var wT = weightsT?[l];
            // the layer's own weights, or its transposed copy (index i of wT) when decoding
            Tensor Apply(Layers.Linear layer, Tensor input, int i) => wT is null ? layer.Forward(input) : LinearT(input, wT[i], layer.Bias);
            var h1 = block.Ln1.Forward(x);
            var qkv = Apply(block.Attn, h1, 0);                                                 // (B, n, 3C)
            var (kCache, vCache) = cache.Layer(l);                                              // (B, cap, C) each
            // rows are independent: append each row's new k, v to its cache and attend, in parallel over rows
            WorkerPool.Run(B, b =>
            {
                var qs = qkv.Span;
                for (int t = 0; t < n; t++)
                {
                    int src = (b * n + t) * 3 * C, dst = (b * cache.Capacity + start + t) * C;
                    qs.Slice(src + C, C).CopyTo(kCache.AsSpan(dst, C));
                    qs.Slice(src + 2 * C, C).CopyTo(vCache.AsSpan(dst, C));
                }
                int rowBase = b * cache.Capacity * C;
                AttentionKernel.Decode(qs.Slice(b * n * 3 * C), 3 * C,
                    kCache.AsSpan(rowBase, cache.Capacity * C), vCache.AsSpan(rowBase, cache.Capacity * C), C,
                    start, n, Config.NHead, Config.HeadSize, cache.KeyMask(b), attn.Span.Slice(b * n * C, n * C), C);
            });
            x = x + Apply(block.AttnProj, attn, 1);
            var h2 = block.Ln2.Forward(x);
            x = x + Apply(block.MlpProj, Ops.Gelu(Apply(block.Fc, h2, 2)), 3);
        }
        var last = Tensor.Uninitialized(B, C);
        for (int b = 0; b < B; b++) x.Span.Slice((b * n + n - 1) * C, C).CopyTo(last.Span.Slice(b * C, C));
        return Logits(LnF.Forward(last));                                                       // (B, V)
    }
}
