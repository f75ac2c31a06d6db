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
