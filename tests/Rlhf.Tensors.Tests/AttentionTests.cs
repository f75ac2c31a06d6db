using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

public class AttentionTests
{
    /// <summary>Independent double reference: causal masked multi-head attention on qkv (B, T, 3C).</summary>
    private static double[] RefAttention(double[] qkv, int B, int T, int C, int nh, bool[]? mask)
    {
        int hs = C / nh;
        var y = new double[B * T * C];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < nh; h++)
                for (int i = 0; i < T; i++)
                {
                    var s = new double[T];
                    var keep = new bool[T];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j <= i; j++)
                    {
                        keep[j] = mask is null || mask[b * T + j];
                        if (!keep[j]) continue;
                        for (int d = 0; d < hs; d++) s[j] += qkv[(b * T + i) * 3 * C + h * hs + d] * qkv[(b * T + j) * 3 * C + C + h * hs + d];
                        s[j] /= Math.Sqrt(hs);
                        max = Math.Max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) z += keep[j] ? Math.Exp(s[j] - max) : 0;
                    for (int j = 0; j <= i; j++)
                    {
                        if (!keep[j]) continue;
                        double p = Math.Exp(s[j] - max) / z;
                        for (int d = 0; d < hs; d++) y[(b * T + i) * C + h * hs + d] += p * qkv[(b * T + j) * 3 * C + 2 * C + h * hs + d];
                    }
                }
        return y;
    }

    [Fact]
    public void Attention_GradCheck_Tiny()
    {
        var qkv = GradCheck.Random(1, 1f, 2, 5, 24);
        GradCheck.Check(t => Ops.CausalSelfAttention(t[0], 2), x => RefAttention(x[0], 2, 5, 8, 2, null), [qkv]);
    }

    [Fact]
    public void Attention_GradCheck_TinyWithPaddingMask_IncludingFullyMaskedQuery()
    {
        // batch 0: left padding (query 0 sees only a masked key → zeros); batch 1: right padding
        bool[] mask = [false, true, true, true, true, true, true, true, false, false];
        var qkv = GradCheck.Random(2, 1f, 2, 5, 24);
        GradCheck.Check(t => Ops.CausalSelfAttention(t[0], 2, mask), x => RefAttention(x[0], 2, 5, 8, 2, mask), [qkv]);
        var y = Ops.CausalSelfAttention(qkv, 2, mask).ToArray();
        Assert.All(y.AsSpan(0, 8).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttentionKernel_EqualsReference_ForwardAndBackward(bool padded)
    {
        // T = 101 crosses the 48-row blocks with a ragged last block; hs = 12 is not a multiple of the GEMM tiles
        int B = 2, T = 101, C = 36, nh = 3;
        var rng = new Rng(3);
        var qkv = new float[B * T * 3 * C]; rng.FillNormal(qkv, 0f, 1f);
        var dOut = new float[B * T * C]; rng.FillNormal(dOut, 0f, 1f);
        var mask = new bool[B * T];
        for (int i = 0; i < mask.Length; i++) mask[i] = !padded || rng.NextFloat() > 0.3f;
        var keyMask = padded ? mask : [];

        var probs = new float[B * nh * T * T]; var probsRef = new float[probs.Length];
        var y = new float[B * T * C]; var yRef = new float[y.Length];
        AttentionKernel.Forward(qkv, y, probs, B, T, C, nh, keyMask);
        AttentionReference.Forward(qkv, yRef, probsRef, B, T, C, nh, keyMask);
        for (int i = 0; i < y.Length; i++) GradCheck.AssertClose(yRef[i], y[i], 1e-5, 1e-4, $"out[{i}]");
        for (int i = 0; i < probs.Length; i++) GradCheck.AssertClose(probsRef[i], probs[i], 1e-6, 1e-4, $"probs[{i}]");

        var dq = new float[qkv.Length]; var dqRef = new float[qkv.Length];
        AttentionKernel.Backward(qkv, probs, dOut, dq, B, T, C, nh);
        AttentionReference.Backward(qkv, probsRef, dOut, dqRef, B, T, C, nh);
        for (int i = 0; i < dq.Length; i++) GradCheck.AssertClose(dqRef[i], dq[i], 2e-5, 1e-3, $"dqkv[{i}]");

        var again = new float[y.Length];
        AttentionKernel.Forward(qkv, again, [], B, T, C, nh, keyMask); // no saved probs: scratch path, same bits
        Assert.Equal(y, again);
    }

    [Fact]
    public void Attention_GptSizedHeads_BitIdenticalRunToRun()
    {
        // 4 (batch, head) pairs of T = 128, hs = 64: the parallel path
        var qkv = GradCheck.Random(4, 1f, 2, 128, 3 * 128);
        var dy = GradCheck.Random(5, 1f, 2, 128, 128);
        (float[] Y, float[] G) Run()
        {
            var x = qkv.Clone();
            x.RequiresGrad = true;
            var y = Ops.CausalSelfAttention(x, 2);
            var yv = y.ToArray();
            y.Backward(dy);
            return (yv, x.Grad!.ToArray());
        }
        var (y1, g1) = Run();
        var (y2, g2) = Run();
        Assert.Equal(y1, y2);
        Assert.Equal(g1, g2);
        var yRef = new float[y1.Length];
        AttentionReference.Forward(qkv.ToArray(), yRef, [], 2, 128, 128, 2, []);
        for (int i = 0; i < y1.Length; i += 13) GradCheck.AssertClose(yRef[i], y1[i], 1e-5, 1e-4, $"out[{i}]");
    }

    [Fact]
    public void Decode_OnCachedRows_EqualsFullForward()
    {
        int T = 23, C = 16, nh = 4, prompt = 9;
        var rng = new Rng(6);
        var qkv = new float[T * 3 * C]; rng.FillNormal(qkv, 0f, 1f);
        var mask = new bool[T];
        for (int i = 0; i < T; i++) mask[i] = i != 2 && i != 15;
        var full = new float[T * C];
        AttentionKernel.Forward(qkv, full, [], 1, T, C, nh, mask);

        // prompt rows in one call, then one token at a time; K/V read from the qkv rows (ld = 3C) as the cache
        var decoded = new float[T * C];
        AttentionKernel.Decode(qkv, 3 * C, qkv.AsSpan(C), qkv.AsSpan(2 * C), 3 * C, 0, prompt, nh, C / nh, mask, decoded, C);
        for (int pos = prompt; pos < T; pos++)
            AttentionKernel.Decode(qkv.AsSpan(pos * 3 * C), 3 * C, qkv.AsSpan(C), qkv.AsSpan(2 * C), 3 * C, pos, 1, nh, C / nh,
                mask, decoded.AsSpan(pos * C), C);
        for (int i = 0; i < full.Length; i++) GradCheck.AssertClose(full[i], decoded[i], 1e-6, 1e-5, $"out[{i}]");
    }

    [Fact]
    public void Attention_BadShapes_NameOpAndShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.CausalSelfAttention(Tensor.Zeros(2, 5, 24), 5));
        Assert.Contains("CausalSelfAttention", ex.Message);
        Assert.Contains("[2, 5, 24]", ex.Message);
        var m = Assert.Throws<TensorShapeException>(() => Ops.CausalSelfAttention(Tensor.Zeros(2, 5, 24), 2, new bool[9]));
        Assert.Contains("[9]", m.Message);
        Assert.Contains("[2, 5, 24]", m.Message);
        Assert.Throws<TensorShapeException>(() => Ops.CausalSelfAttention(Tensor.Zeros(2, 5, 25), 1));
    }
}
