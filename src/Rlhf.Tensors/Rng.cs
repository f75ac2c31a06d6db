namespace Rlhf.Tensors;

/// <summary>
/// Deterministic, seedable random numbers (xoshiro256** seeded through SplitMix64; normals by Box–Muller).
/// The same seed gives the same stream on every machine and .NET version, unlike <see cref="System.Random"/>'s
/// unspecified algorithm. The full state is exposed so trainers can checkpoint and resume it exactly.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private float _spareNormal;
    private bool _hasSpare;

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias (Lemire).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong m = (ulong)(uint)maxExclusive;
        while (true)
        {
            ulong r = NextUInt64() >> 32;
            ulong product = r * m;
            if ((uint)product >= (uint)((0x1_0000_0000UL - m) % m)) return (int)(product >> 32);
        }
    }

    /// <summary>Standard normal sample (Box–Muller, both values used).</summary>
    public float NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareNormal;
        }
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = (float)(r * Math.Sin(2.0 * Math.PI * u2));
        _hasSpare = true;
        return (float)(r * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Fills with Normal(mean, std²).</summary>
    public void FillNormal(Span<float> dst, float mean, float std)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = mean + std * NextNormal();
    }

    /// <summary>Fills with Uniform[lo, hi).</summary>
    public void FillUniform(Span<float> dst, float lo, float hi)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = lo + (hi - lo) * NextFloat();
    }

    /// <summary>Fisher–Yates shuffle.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The complete generator state, for checkpoints (restore with <see cref="FromState"/>).</summary>
    public RngState GetState() => new(_s0, _s1, _s2, _s3, _hasSpare, _spareNormal);

    /// <summary>Rebuilds a generator that continues exactly where <paramref name="state"/> was taken.</summary>
    public static Rng FromState(RngState state)
    {
        var rng = new Rng(0);
        rng.SetState(state);
        return rng;
    }

    /// <summary>Overwrites the state (exact resume).</summary>
    public void SetState(RngState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0) throw new ArgumentException("Rng: all-zero xoshiro state is invalid");
        (_s0, _s1, _s2, _s3, _hasSpare, _spareNormal) = (state.S0, state.S1, state.S2, state.S3, state.HasSpare, state.Spare);
    }
}

/// <summary>Serializable state of an <see cref="Rng"/>.</summary>
public sealed record RngState(ulong S0, ulong S1, ulong S2, ulong S3, bool HasSpare, float Spare);
