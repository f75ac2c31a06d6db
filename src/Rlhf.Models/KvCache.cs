namespace Rlhf.Models;

/// <summary>
/// Keys and values of past positions for incremental decoding: per layer, K and V of shape (B, capacity, C),
/// plus the per-row key mask (padding) and the count of real tokens (for position ids). Memory:
/// 2 · L · B · capacity · C floats.
/// </summary>
public sealed class KvCache
{
    private readonly float[][] _k;
    private readonly float[][] _v;
    private readonly bool[] _mask;       // (B, capacity): true = real key
    private readonly int[] _realTokens;  // per row: real tokens so far

    /// <summary>Allocates an empty cache for <paramref name="batch"/> rows of up to <paramref name="capacity"/> positions.</summary>
    public KvCache(GptConfig config, int batch, int capacity)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (capacity > config.NPositions)
            throw new ArgumentException($"KvCache: capacity {capacity} exceeds the model's context n_positions = {config.NPositions}");
        Batch = batch;
        Capacity = capacity;
        _k = new float[config.NLayer][];
        _v = new float[config.NLayer][];
        for (int l = 0; l < config.NLayer; l++)
        {
            _k[l] = new float[batch * capacity * config.NEmbd];
            _v[l] = new float[batch * capacity * config.NEmbd];
        }
        _mask = new bool[batch * capacity];
        _realTokens = new int[batch];
    }

    private float[][][]? _weightsT;

    /// <summary>
    /// Transposed copies (out, in) of each block's c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj weights, made on
    /// first use: decoding reads every weight once per token, and the transposed layout streams faster (see
    /// <see cref="Gpt.ForwardCached"/>). A cache lives for one generation call, during which weights do not change.
    /// </summary>
    internal float[][][] TransposedWeights(Gpt model)
    {
        if (_weightsT is not null) return _weightsT;
        int layers = model.Blocks.Count;
        var result = new float[layers][][];
        for (int l = 0; l < layers; l++) result[l] = new float[4][];
        Tensors.Kernels.WorkerPool.Run(layers * 4, i =>
        {
            var b = model.Blocks[i / 4];
            var w = (i % 4) switch { 0 => b.Attn.Weight, 1 => b.AttnProj.Weight, 2 => b.Fc.Weight, _ => b.MlpProj.Weight };
            result[i / 4][i % 4] = Transpose(w);
        });
        return _weightsT = result;
    }

    private static float[] Transpose(Tensors.Tensor w)
    {
        int rows = w.Shape[0], cols = w.Shape[1];
        var src = w.Span;
        var dst = GC.AllocateUninitializedArray<float>(rows * cols);
        const int tile = 32; // cache-blocked so both sides are walked in short runs
        for (int i0 = 0; i0 < rows; i0 += tile)
            for (int j0 = 0; j0 < cols; j0 += tile)
                for (int i = i0; i < Math.Min(rows, i0 + tile); i++)
                    for (int j = j0; j < Math.Min(cols, j0 + tile); j++)
                        dst[j * rows + i] = src[i * cols + j];
        return dst;
    }

    /// <summary>Rows.</summary>
    public int Batch { get; }

    /// <summary>Maximum positions.</summary>
    public int Capacity { get; }

    /// <summary>Positions filled so far (same for every row; padding counts).</summary>
    public int Length { get; private set; }

    /// <summary>K and V storage of layer <paramref name="layer"/>, each (B, capacity, C).</summary>
    public (float[] K, float[] V) Layer(int layer) => (_k[layer], _v[layer]);

    /// <summary>Key mask of row <paramref name="row"/> over the filled positions.</summary>
    public ReadOnlySpan<bool> KeyMask(int row) => _mask.AsSpan(row * Capacity, Capacity);

    /// <summary>
    /// Reserves <paramref name="n"/> new positions (mask (B·n) or null = all real) and returns their position ids
    /// (B·n) exactly as <see cref="Gpt.PositionIds"/> numbers them: a real token gets the row's count of real tokens
    /// before it; padding gets max(0, count − 1) (harmless: padding keys are masked).
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
