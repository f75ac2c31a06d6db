using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Models.Layers;

/// <summary>
/// The incremental (KV-cache) pass, without autograd: the n new positions of each row are appended to a
/// <see cref="KvCache"/> (their grouped K/V heads, KV·hs floats per position and layer) and attend to every cached
/// position of their row (<see cref="AttentionKernel.Decode"/>). Start one with <see cref="Begin"/>.
/// </summary>
public sealed class CachedAttention : AttentionPass
{
    private readonly KvCache _cache;
    private readonly int _start;

    private CachedAttention(KvCache cache, int start, int[] positions) : base(positions)
    {
        _cache = cache;
        _start = start;
    }

    /// <summary>
    /// Reserves <paramref name="newTokens"/> positions per row in <paramref name="cache"/> (<paramref name="newMask"/>
    /// (B·n, true = real) marks left padding) and returns the pass that fills them; positions continue from the
    /// cache's per-row count of real tokens.
    /// </summary>
    public static CachedAttention Begin(KvCache cache, int newTokens, bool[]? newMask)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.Length + newTokens > cache.Capacity)
            throw new ArgumentException($"KV cache: {cache.Length} cached + {newTokens} new positions exceed the cache capacity {cache.Capacity}");
        if (newMask is not null && newMask.Length != cache.Batch * newTokens)
            throw new ArgumentException($"KV cache: mask has {newMask.Length} entries, expected batch {cache.Batch} × {newTokens} new tokens");
        int start = cache.Length;
        return new CachedAttention(cache, start, cache.Append(newMask, newTokens));
    }

    /// <inheritdoc />
    public override Tensor Attend(int layer, Tensor qkv, int nHead, int nKvHead)
    {
        var x = qkv.Contiguous();
        int B = _cache.Batch, n = x.Shape[1], width = x.Shape[2], hs = width / (nHead + 2 * nKvHead);
        int qWidth = nHead * hs, kvWidth = nKvHead * hs, group = nHead / nKvHead, capacity = _cache.Capacity, start = _start;
        if (kvWidth != _cache.KvWidth)
            throw new ArgumentException($"KV cache: holds {_cache.KvWidth} key floats per position, layer {layer} produces {kvWidth}");
        var (kCache, vCache) = _cache.Layer(layer);                                   // (B, capacity, KV·hs) each
        var output = Tensor.Zeros(B, n, qWidth);
        // rows are independent: append each row's new k, v to its cache and attend, in parallel over rows
        WorkerPool.Run(B, b =>
        {
            var qs = x.Span;
            for (int t = 0; t < n; t++)
            {
                int src = (b * n + t) * width, dst = (b * capacity + start + t) * kvWidth;
                qs.Slice(src + qWidth, kvWidth).CopyTo(kCache.AsSpan(dst, kvWidth));
                qs.Slice(src + qWidth + kvWidth, kvWidth).CopyTo(vCache.AsSpan(dst, kvWidth));
            }
            var keys = kCache.AsSpan(b * capacity * kvWidth, capacity * kvWidth);
            var values = vCache.AsSpan(b * capacity * kvWidth, capacity * kvWidth);
            var queries = qs.Slice(b * n * width, n * width);
            var rowOut = output.Span.Slice(b * n * qWidth, n * qWidth);
            if (group == 1)
            {
                AttentionKernel.Decode(queries, width, keys, values, kvWidth, start, n, nHead, hs, _cache.KeyMask(b), rowOut, qWidth);
                return;
            }
            for (int h = 0; h < nHead; h++) // query head h reads key/value head h / group
            {
                int g = h / group;
                AttentionKernel.Decode(queries[(h * hs)..], width, keys[(g * hs)..], values[(g * hs)..], kvWidth,
                    start, n, 1, hs, _cache.KeyMask(b), rowOut[(h * hs)..], qWidth);
            }
        });
        return output;
    }

    /// <summary>
    /// Few rows (decoding): y = x·W + b with W read from the cache's transposed (out, in) copy — the product is
    /// bound by reading W, and dots along contiguous memory stream about twice as fast as column strips of (in, out).
    /// Many rows (prefill): the layer itself.
    /// </summary>
    public override Tensor Project(Linear layer, Tensor x)
    {
        int inF = x.Shape[^1], rows = x.Size / inF;
        if (rows > Gemm.SmallM || layer.IsBf16) return layer.Forward(x); // a bf16 layer keeps no float32 weight to transpose
        var weightT = _cache.Transposed(layer.Weight);
        int outF = layer.Bias.Size;
        var shape = x.ShapeArray();
        shape[^1] = outF;
        var y = Tensor.Uninitialized(shape);
        Gemm.MultiplyAddBias(false, true, rows, outF, inF, x.Contiguous().Span, inF, weightT, inF, layer.Bias.Span, y.Span, outF);
        return layer.Adapter is null ? y : layer.Adapter.Apply(x, y);
    }

    /// <summary>(B, n, C) → (B, C): the last new position of each row, whose logits decoding samples from.</summary>
    public static Tensor LastPositions(Tensor x)
    {
        int B = x.Shape[0], n = x.Shape[1], C = x.Shape[2];
        var last = Tensor.Uninitialized(B, C);
        var xs = x.Contiguous().Span;
        for (int b = 0; b < B; b++) xs.Slice((b * n + n - 1) * C, C).CopyTo(last.Span.Slice(b * C, C));
        return last;
    }
}
