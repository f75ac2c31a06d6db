using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors.Tests;

/// <summary>bf16 conversion (round to nearest even), the bf16-weight GEMM and the forward-only bf16 ops.</summary>
public class Bf16Tests
{
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    /// <summary>
    /// Independent oracle for float32 → bf16: the two bf16 neighbours of x (truncation and one step away from zero),
    /// the nearer in exact double arithmetic, ties to the even one; the step past the largest finite bf16 counts as
    /// 2^128 (so values at or beyond half-way there round to ∞, as IEEE rounding does).
    /// </summary>
    private static ushort Oracle(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        ushort down = (ushort)(bits >> 16), up = (ushort)(down + 1);
        double lo = Bf16.ToFloat(down);
        double hi = (up & 0x7F80) == 0x7F80 ? Math.CopySign(Math.Pow(2, 128), x) : Bf16.ToFloat(up);
        double dLo = Math.Abs(x - lo), dHi = Math.Abs(hi - x);
        if (dLo < dHi) return down;
        if (dHi < dLo) return up;
        return (down & 1) == 0 ? down : up;
    }

    [Fact]
    public void FromFloat_RoundsToNearestEven_OnHandExamples()
    {
        Assert.Equal(0x3F80, Bf16.FromFloat(1f));                      // exact
        Assert.Equal(0x3F80, Bf16.FromFloat(F(0x3F80_8000)));          // 1 + 2^-8: half-way, 0x3F80 is even → down
        Assert.Equal(0x3F82, Bf16.FromFloat(F(0x3F81_8000)));          // 1 + 3·2^-8: half-way, 0x3F81 is odd → up to 0x3F82
        Assert.Equal(0x3F81, Bf16.FromFloat(F(0x3F80_8001)));          // just above half-way → up
        Assert.Equal(0x3F80, Bf16.FromFloat(F(0x3F80_7FFF)));          // just below half-way → down
        Assert.Equal(0xBF82, Bf16.FromFloat(F(0xBF81_8000)));          // sign does not matter
        Assert.Equal(0x4049, Bf16.FromFloat(MathF.PI));                // 3.140625 (torch.tensor(math.pi).bfloat16() is 3.140625)
        Assert.Equal(0x0000, Bf16.FromFloat(0f));
        Assert.Equal(0x8000, Bf16.FromFloat(-0f));
        Assert.Equal(0x0001, Bf16.FromFloat(F(0x0000_8001)));          // subnormals round like any other value
        Assert.Equal(0x7F80, Bf16.FromFloat(float.PositiveInfinity));
        Assert.Equal(0xFF80, Bf16.FromFloat(float.NegativeInfinity));
        Assert.Equal(0x7F80, Bf16.FromFloat(float.MaxValue));          // beyond the largest bf16 (0x7F7F) by more than half a step → ∞
        Assert.Equal(0x7F7F, Bf16.FromFloat(F(0x7F7F_7FFF)));          // below half-way to ∞ → the largest finite bf16
    }

    [Fact]
    public void FromFloat_KeepsNaNQuietAndSigned()
    {
        foreach (uint bits in new uint[] { 0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0x7F80_FFFF })
        {
            ushort h = Bf16.FromFloat(F(bits));
            Assert.True(float.IsNaN(Bf16.ToFloat(h)), $"0x{bits:X8} → 0x{h:X4} is not NaN");
            Assert.Equal(bits >> 31, (uint)h >> 15);
            Assert.NotEqual(0, h & 0x0040); // quiet
        }
    }

    [Fact]
    public void FromFloat_EqualsTheNearestEvenOracle_OnRandomFloats()
    {
        var rng = new Rng(11);
        for (int i = 0; i < 200_000; i++)
        {
            uint bits = (uint)rng.NextInt(1 << 16) << 16 | (uint)rng.NextInt(1 << 16);
            if (i % 4 == 0) bits = (bits & 0xFFFF_0000) | 0x8000; // many exact ties
            float x = F(bits);
            if (float.IsNaN(x)) continue;
            Assert.True(Oracle(x) == Bf16.FromFloat(x), $"0x{bits:X8}: expected 0x{Oracle(x):X4}, got 0x{Bf16.FromFloat(x):X4}");
        }
    }

    [Fact]
    public void ToFloat_VectorPathEqualsScalarTwin_AndRoundTripsExactly()
    {
        var rng = new Rng(12);
        for (int n = 0; n <= 41; n++)
        {
            var h = new ushort[n];
            for (int i = 0; i < n; i++) h[i] = (ushort)rng.NextInt(1 << 16);
            var fast = new float[n];
            var slow = new float[n];
            Bf16.ToFloat(h, fast);
            Bf16.ToFloatScalar(h, slow);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(BitConverter.SingleToUInt32Bits(slow[i]), BitConverter.SingleToUInt32Bits(fast[i]));
                Assert.Equal((uint)h[i] << 16, BitConverter.SingleToUInt32Bits(fast[i]));
                if (!float.IsNaN(fast[i])) Assert.Equal(h[i], Bf16.FromFloat(fast[i])); // bf16 values are fixed points
            }
        }
    }

    private static ushort[] RandomBf16(Rng rng, int n)
    {
        var f = new float[n];
        rng.FillUniform(f, -1f, 1f);
        var h = new ushort[n];
        Bf16.FromFloat(f, h);
        return h;
    }

    private static float[] Random(Rng rng, int n)
    {
        var a = new float[n];
        rng.FillUniform(a, -1f, 1f);
        return a;
    }

    public static TheoryData<GemmKernel> Kernels => [GemmKernel.Avx512, GemmKernel.Avx2, GemmKernel.Scalar];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MultiplyBf16_EqualsScalarReference(GemmKernel kernel)
    {
        var rng = new Rng(13);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 7, 3), (17, 33, 9), (40, 70, 300), (13, 100, 513), (64, 3100, 12), (7, 16, 0) })
            foreach (bool transB in new[] { false, true })
                foreach (bool bias in new[] { false, true })
                {
                    int lda = k + 1, ldb = (transB ? k : n) + 2, ldc = n + 3;
                    var a = Random(rng, m * Math.Max(1, lda));
                    var b = RandomBf16(rng, (transB ? n : k) * ldb);
                    var bv = bias ? Random(rng, n) : Array.Empty<float>();
                    var expected = Random(rng, m * ldc);
                    var actual = (float[])expected.Clone(); // padding columns must be left alone
                    GemmReference.MultiplyBf16(transB, m, n, k, a, lda, b, ldb, bv, expected, ldc);
                    Gemm.MultiplyBf16(transB, m, n, k, a, lda, b, ldb, bv, actual, ldc, kernel);
                    for (int i = 0; i < expected.Length; i++)
                    {
                        double tol = 1e-5 * (1 + Math.Sqrt(k)) * Math.Max(1, Math.Abs(expected[i]));
                        if (Math.Abs(expected[i] - actual[i]) > tol)
                            Assert.Fail($"{kernel} m={m} n={n} k={k} transB={transB} bias={bias}: C[{i}] expected {expected[i]}, got {actual[i]}");
                    }
                }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MultiplyBf16_EqualsFloat32GemmOnWidenedWeights_BitForBit(bool transB)
    {
        // more than Gemm.SmallM rows: the float32 product takes the same blocked path, so only the packing differs
        var rng = new Rng(14);
        int m = 50, n = 75, k = 600;
        var a = Random(rng, m * k);
        var b = RandomBf16(rng, n * k);
        var wide = new float[b.Length];
        Bf16.ToFloat(b, wide);
        var bias = Random(rng, n);
        int ldb = transB ? k : n;
        var expected = new float[m * n];
        var actual = new float[m * n];
        Gemm.MultiplyAddBias(false, transB, m, n, k, a, k, wide, ldb, bias, expected, n);
        Gemm.MultiplyBf16(transB, m, n, k, a, k, b, ldb, bias, actual, n);
        Assert.Equal(expected, actual);
        Gemm.Multiply(false, transB, m, n, k, a, k, wide, ldb, expected, n, accumulate: false);
        Gemm.MultiplyBf16(transB, m, n, k, a, k, b, ldb, [], actual, n);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Bf16Ops_EqualTheFloat32OpsOnWidenedWeights()
    {
        var rng = new Rng(15);
        var x = Tensor.FromArray(Random(rng, 3 * 7 * 24), 3, 7, 24);                 // 21 rows
        var w = Bf16Matrix.Round(Tensor.FromArray(Random(rng, 24 * 40), 24, 40));
        var wt = Bf16Matrix.Round(Tensor.FromArray(Random(rng, 40 * 24), 40, 24));
        var bias = Tensor.FromArray(Random(rng, 40), 40);
        Assert.Equal(Ops.Linear(x, w.ToTensor(), bias).ToArray(), Ops.Linear(x, w, bias).ToArray());
        Assert.Equal(Ops.MatMul(x, wt.ToTensor(), transB: true).ToArray(), Ops.MatMul(x, wt, transB: true).ToArray());
        Assert.Equal(Ops.MatMul(x, w.ToTensor()).ToArray(), Ops.MatMul(x, w).ToArray());
        Assert.Equal(new[] { 3, 7, 40 }, Ops.Linear(x, w, bias).ShapeArray());
        int[] ids = [3, 0, 39, 3, 17, 5];
        Assert.Equal(Ops.Embedding(ids, [2, 3], wt.ToTensor()).ToArray(), Ops.Embedding(ids, [2, 3], wt).ToArray());
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding([40], [1], wt));
        Assert.Contains("V = 40", bad.Message);
        Assert.Throws<TensorShapeException>(() => Ops.Linear(x, wt, bias));
    }

    [Fact]
    public void Bf16Ops_AreForwardOnly()
    {
        var rng = new Rng(16);
        var w = Bf16Matrix.Round(Tensor.FromArray(Random(rng, 8 * 4), 8, 4));
        w = new Bf16Matrix(w.Data, 8, 4, "h.0.mlp.c_fc.weight");
        var x = Tensor.FromArray(Random(rng, 2 * 8), 2, 8);
        x.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => Ops.MatMul(x, w));
        Assert.Contains("h.0.mlp.c_fc.weight", e.Message);
        Assert.Contains("forward-only", e.Message);
        using (Tensor.NoGrad()) Assert.False(Ops.MatMul(x, w).RequiresGrad); // inference on such an input is fine
        var plain = Tensor.FromArray(Random(rng, 2 * 8), 2, 8);
        Assert.False(Ops.Linear(plain, w, Tensor.Zeros(4)).RequiresGrad);
    }
}
