using System.Runtime.CompilerServices;
using Rlhf.Tensors;

namespace Rlhf.Models;

/// <summary>
/// Keys and values of past positions for incremental decoding: per layer, K and V of shape (B, capacity, KV·hs)
/// — the grouped K/V heads, so a grouped-query model caches KV, not H, heads — plus the per-row key mask
/// (padding) and the count of real tokens (for position ids). Memory: 2 · L · B · capacity · KV·hs floats.
/// Made by <see cref="ICausalLm.NewCache"/> and filled through <see cref="Layers.CachedAttention"/>.
/// </summary>
public sealed class KvCache
{
    private readonly float[][] _k;
    private readonly float[][] _v;
    private readonly bool[] _mask;       // (B, capacity): true = real key
    private readonly int[] _realTokens;  // per row: real tokens so far
    private readonly ConditionalWeakTable<Tensor, float[]> _transposed = [];

    /// <summary>
    /// Allocates an empty cache of <paramref name="layers"/> layers, <paramref name="kvWidth"/> floats per position
    /// (KV·hs) for <paramref name="batch"/> rows of up to <paramref name="capacity"/> positions
    /// (at most the model's context <paramref name="maxPositions"/>).
    /// </summary>
    public KvCache(int layers, int kvWidth, int maxPositions, int batch, int capacity)
    {
        if (capacity > maxPositions)
            throw new ArgumentException($"KvCache: capacity {capacity} exceeds the model's context of {maxPositions} positions");
        if (layers <= 0 || kvWidth <= 0 || batch < 0 || capacity < 0)
            throw new ArgumentException($"KvCache: invalid sizes layers={layers}, kvWidth={kvWidth}, batch={batch}, capacity={capacity}");
        long floats = (long)batch * capacity * kvWidth;
        if (floats > Array.MaxLength)
            throw new ArgumentException($"KvCache: batch {batch} × capacity {capacity} × {kvWidth} floats per position is too large for one layer's cache");
        Batch = batch;
        Capacity = capacity;
        KvWidth = kvWidth;
        _k = new float[layers][];
        _v = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            _k[l] = new float[floats];
            _v[l] = new float[floats];
        }
        _mask = new bool[batch * capacity];
        _realTokens = new int[batch];
    }

    /// <summary>A cache for a GPT-2 model (K and V of all n_head heads: n_embd floats per position).</summary>
    public KvCache(GptConfig config, int batch, int capacity)
        : this((config ?? throw new ArgumentNullException(nameof(config))).NLayer, config.NEmbd, config.NPositions, batch, capacity)
    {
    }

    /// <summary>Rows.</summary>
    public int Batch { get; }

    /// <summary>Maximum positions.</summary>
    public int Capacity { get; }

    /// <summary>Floats per position and layer in each of K and V (KV heads · head size).</summary>
    public int KvWidth { get; }

    /// <summary>Positions filled so far (same for every row; padding counts).</summary>
    public int Length { get; private set; }

    /// <summary>K and V storage of layer <paramref name="layer"/>, each (B, capacity, KV·hs).</summary>
    public (float[] K, float[] V) Layer(int layer) => (_k[layer], _v[layer]);

    /// <summary>Key mask of row <paramref name="row"/> over the filled positions.</summary>
    public ReadOnlySpan<bool> KeyMask(int row) => _mask.AsSpan(row * Capacity, Capacity);

    /// <summary>
    /// A transposed (out, in) copy of an (in, out) weight, made on first use: decoding reads every weight once per
    /// token and the transposed layout streams faster (see <see cref="Layers.CachedAttention.Project"/>). A cache
    /// lives for one generation call, during which weights do not change.
    /// </summary>
    internal float[] Transposed(Tensor weight) => _transposed.GetValue(weight, Transpose);

    private static float[] Transpose(Tensor w)
    {
        int rows = w.Shape[0], cols = w.Shape[1];
        var src = w.Contiguous().Span;
        var dst = GC.AllocateUninitializedArray<float>(rows * cols);
        const int tile = 32; // cache-blocked so both sides are walked in short runs
        for (int i0 = 0; i0 < rows; i0 += tile)
            for (int j0 = 0; j0 < cols; j0 += tile)
                for (int i = i0; i < Math.Min(rows, i0 + tile); i++)
                    for (int j = j0; j < Math.Min(cols, j0 + tile); j++)
                        dst[j * rows + i] = src[i * cols + j];
        return dst;
    }

    /// <summary>
    /// Reserves <paramref name="n"/> new positions (mask (B·n) or null = all real) and returns their position ids
    /// (B·n) exactly as <see cref="Layers.FullAttention.PositionIds"/> numbers them: a real token gets the row's count
    /// of real tokens before it; padding gets max(0, count − 1) (harmless: padding keys are masked).
    /// </summary>
    internal int[] Append(bool[]? newMask, int n)
    {
        var positions = new int[Batch * n];
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < n; t++)
            {
                bool real = newMask is null || newMask[b * n + t];
                _mask[b * Capacity + Length + t] = real;
                positions[b * n + t] = real ? _realTokens[b] : Math.Max(0, _realTokens[b] - 1);
                if (real) _realTokens[b]++;
            }
        }
        Length += n;
        return positions;
    }
}
