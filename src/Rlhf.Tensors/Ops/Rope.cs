namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Rotary position embedding (Su et al. 2021, RoFormer) in the "rotate half" layout of HF Llama
    /// (<c>apply_rotary_pos_emb</c>): x (B, T, H·hs) holds H heads of width hs; for each head the pairs
    /// (x₁, x₂) = (x[i], x[i + hs/2]), i &lt; hs/2, are rotated by the angle θ = position·invFreq[i]:
    /// y₁ = x₁·cos θ − x₂·sin θ, y₂ = x₂·cos θ + x₁·sin θ. <paramref name="positions"/> (B·T) are the position ids
    /// of the rows; <paramref name="inverseFrequencies"/> (hs/2) come from rope_theta (and rope_scaling).
    /// θ is formed in float32 as HF does (inv_freq and positions as float32), cos/sin are then taken exactly.
    /// <para>Backward is the inverse rotation: dx₁ = g₁·cos θ + g₂·sin θ, dx₂ = g₂·cos θ − g₁·sin θ.</para>
    /// </summary>
    public static Tensor Rope(Tensor x, int headSize, int[] positions, float[] inverseFrequencies)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(inverseFrequencies);
        if (x.Rank != 3 || headSize <= 0 || headSize % 2 != 0 || x.Shape[2] % headSize != 0)
            throw new TensorShapeException($"Rope: expected x (B, T, H·hs) with an even head size hs = {headSize} dividing the last dimension, got {Tensor.ShapeString(x.Shape)}");
        int rows = x.Shape[0] * x.Shape[1], width = x.Shape[2], half = headSize / 2;
        if (positions.Length != rows)
            throw new TensorShapeException($"Rope: {positions.Length} position ids for {rows} rows of {Tensor.ShapeString(x.Shape)}");
        if (inverseFrequencies.Length != half)
            throw new TensorShapeException($"Rope: {inverseFrequencies.Length} inverse frequencies, expected head size / 2 = {half}");

        // cos/sin table (rows, hs/2): one angle per (row, frequency), shared by all heads of the row
        var cos = new float[rows * half];
        var sin = new float[rows * half];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < half; i++)
            {
                float angle = positions[r] * inverseFrequencies[i]; // float32 product, as HF's inv_freq @ position_ids
                cos[r * half + i] = (float)Math.Cos(angle);
                sin[r * half + i] = (float)Math.Sin(angle);
            }

        var xc = x.Contiguous();
        var y = Tensor.Uninitialized(xc.ShapeArray());
        Rotate(xc.Span, y.Span, cos, sin, rows, width, headSize, inverse: false, accumulate: false);
        return Tensor.Record(y, "Rope", [xc], g =>
            Rotate(g.Span, xc.GradBuffer(), cos, sin, rows, width, headSize, inverse: true, accumulate: true));
    }

    /// <summary>dst (=|+=) rotation of src by ±θ per (row, head, pair).</summary>
    private static void Rotate(ReadOnlySpan<float> src, Span<float> dst, float[] cos, float[] sin, int rows, int width, int headSize,
        bool inverse, bool accumulate)
    {
        int half = headSize / 2;
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < width; h += headSize)
                for (int i = 0; i < half; i++)
                {
                    int a = r * width + h + i, b = a + half;
                    float c = cos[r * half + i], s = inverse ? -sin[r * half + i] : sin[r * half + i];
                    float y1 = src[a] * c - src[b] * s, y2 = src[b] * c + src[a] * s;
                    if (accumulate) { dst[a] += y1; dst[b] += y2; }
                    else { dst[a] = y1; dst[b] = y2; }
                }
    }
}
