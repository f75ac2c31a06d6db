using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// The inverse frequencies of rotary position embeddings for one model (no parameters):
/// invFreq[i] = 1 / θ^(2i/hs), i &lt; hs/2, with θ = rope_theta, then rescaled by <c>rope_scaling</c> of type
/// <c>llama3</c> where given (transformers <c>_compute_default_rope_parameters</c> and
/// <c>_compute_llama3_parameters</c>). Both types use attention scaling 1, so only the frequencies change.
/// </summary>
public sealed class RotaryEmbedding
{
    /// <summary>hs/2 inverse frequencies (float32, as HF keeps inv_freq).</summary>
    public float[] InverseFrequencies { get; }

    /// <summary>Head width hs.</summary>
    public int HeadSize { get; }

    public RotaryEmbedding(int headSize, double theta, RopeScaling? scaling)
    {
        HeadSize = headSize;
        int half = headSize / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            // HF: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), in float32
            float exponent = (float)(2 * i) / headSize;
            inv[i] = 1f / (float)Math.Pow(theta, exponent);
        }
        if (scaling is not null) ApplyLlama3(inv, scaling);
        InverseFrequencies = inv;
    }

    /// <summary>
    /// Llama 3 scaling: with wavelen = 2π/f, low = original/low_freq_factor, high = original/high_freq_factor,
    /// f ← f/factor where wavelen &gt; low; f kept where wavelen &lt; high; between them
    /// f ← (1 − s)·f/factor + s·f with s = (original/wavelen − low_freq_factor)/(high_freq_factor − low_freq_factor).
    /// </summary>
    private static void ApplyLlama3(float[] inv, RopeScaling s)
    {
        double lowWavelen = s.OriginalMaxPositions / s.LowFreqFactor, highWavelen = s.OriginalMaxPositions / s.HighFreqFactor;
        for (int i = 0; i < inv.Length; i++)
        {
            double f = inv[i], wavelen = 2 * Math.PI / f;
            if (wavelen > lowWavelen) f /= s.Factor;
            else if (wavelen >= highWavelen)
            {
                double smooth = (s.OriginalMaxPositions / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                f = (1 - smooth) * f / s.Factor + smooth * f;
            }
            inv[i] = (float)f;
        }
    }

    /// <summary>Rotates x (B, T, heads·hs) by the given position ids (B·T).</summary>
    public Tensor Apply(Tensor x, int[] positions) => Ops.Rope(x, HeadSize, positions, InverseFrequencies);
}
