using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Games;

/// <summary>
/// The most recent self-play positions (a ring of fixed capacity): network input, legal mask, search policy π
/// (root visit shares) and outcome z for the side to move. Saved whole in checkpoints so a resume samples the same
/// minibatches.
/// </summary>
public sealed class ReplayBuffer(int capacity)
{
    private const int F = BoardFeatures.Size, C = ConnectFour.Columns;
    private readonly float[] _x = new float[capacity * F], _mask = new float[capacity * C], _pi = new float[capacity * C], _z = new float[capacity];

    /// <summary>Maximum positions kept.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>Positions held.</summary>
    public int Count { get; private set; }

    /// <summary>Total positions ever added (the ring's write position is this modulo capacity).</summary>
    public long Added { get; private set; }

    /// <summary>Adds a position, overwriting the oldest when full.</summary>
    public void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, ReadOnlySpan<float> pi, float z)
    {
        int i = (int)(Added % Capacity);
        x.CopyTo(_x.AsSpan(i * F, F));
        mask.CopyTo(_mask.AsSpan(i * C, C));
        pi.CopyTo(_pi.AsSpan(i * C, C));
        _z[i] = z;
        Added++;
        Count = (int)Math.Min(Added, Capacity);
    }

    /// <summary>A minibatch of <paramref name="size"/> positions drawn uniformly with replacement: x (B, 126), mask (B, 7), π (B, 7), z (B).</summary>
    public (Tensor X, Tensor Mask, Tensor Pi, Tensor Z) Sample(int size, Rng rng)
    {
        var x = new float[size * F];
        var m = new float[size * C];
        var p = new float[size * C];
        var z = new float[size];
        for (int b = 0; b < size; b++)
        {
            int i = rng.NextInt(Count);
            _x.AsSpan(i * F, F).CopyTo(x.AsSpan(b * F));
            _mask.AsSpan(i * C, C).CopyTo(m.AsSpan(b * C));
            _pi.AsSpan(i * C, C).CopyTo(p.AsSpan(b * C));
            z[b] = _z[i];
        }
        return (Tensor.FromArray(x, size, F), Tensor.FromArray(m, size, C), Tensor.FromArray(p, size, C), Tensor.FromArray(z, size));
    }

    /// <summary>Writes the buffer (safetensors, atomically).</summary>
    public void Save(string path) => Safetensors.Save(path, new Dictionary<string, Tensor>
    {
        ["x"] = Tensor.FromArray(_x, Capacity, F), ["mask"] = Tensor.FromArray(_mask, Capacity, C),
        ["pi"] = Tensor.FromArray(_pi, Capacity, C), ["z"] = Tensor.FromArray(_z, Capacity),
    }, new Dictionary<string, string> { ["added"] = Added.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>Reads a buffer written by <see cref="Save"/> (capacity must match).</summary>
    public static ReplayBuffer Load(string path, int capacity)
    {
        var f = Safetensors.Load(path);
        var b = new ReplayBuffer(capacity);
        if (f.Get("z").Size != capacity) throw new InvalidDataException($"{path}: replay buffer of {f.Get("z").Size} positions, expected {capacity}");
        f.Get("x").Contiguous().Span.CopyTo(b._x);
        f.Get("mask").Contiguous().Span.CopyTo(b._mask);
        f.Get("pi").Contiguous().Span.CopyTo(b._pi);
        f.Get("z").Contiguous().Span.CopyTo(b._z);
        b.Added = long.Parse(f.Metadata["added"], System.Globalization.CultureInfo.InvariantCulture);
        b.Count = (int)Math.Min(b.Added, capacity);
        return b;
    }
}
