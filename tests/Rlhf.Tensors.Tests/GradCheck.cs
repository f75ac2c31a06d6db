using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

/// <summary>
/// Finite-difference gradient check against an independent double-precision reference.
/// <para>
/// The op under test runs in our float32 engine; the same math is written again, naively, in double precision
/// (the reference). We check (1) forward: engine output ≈ reference output, and (2) backward: for a random
/// upstream gradient W, the engine's input gradients ≈ central differences of L(x) = Σ W·reference(x) taken in
/// double precision (step h = 1e-6), so the numeric side carries no float32 noise.
/// </para>
/// </summary>
public static class GradCheck
{
    /// <param name="engine">Builds the output from the (grad-requiring) inputs with our ops.</param>
    /// <param name="reference">Same function in double precision over flattened row-major inputs; returns the flattened output.</param>
    /// <param name="inputs">Differentiable inputs (values are copied; masks, ids etc. belong in the closures).</param>
    public static void Check(Func<Tensor[], Tensor> engine, Func<double[][], double[]> reference, Tensor[] inputs,
        double atol = 1e-4, double rtol = 1e-3, ulong seed = 12345)
    {
        var leaves = inputs.Select(t => { var c = t.Clone(); c.RequiresGrad = true; return c; }).ToArray();
        var x = leaves.Select(t => t.ToArray().Select(v => (double)v).ToArray()).ToArray();

        var output = engine(leaves);
        var expected = reference(x);
        var actual = output.ToArray();
        Assert.True(expected.Length == actual.Length, $"forward: engine gave {actual.Length} values, reference {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
            AssertClose(expected[i], actual[i], atol, rtol, $"forward output[{i}]");

        var rng = new Rng(seed);
        var w = Tensor.Randn(rng, 1f, output.ShapeArray());
        var wd = w.ToArray().Select(v => (double)v).ToArray();
        output.Backward(w);

        const double h = 1e-6;
        for (int t = 0; t < leaves.Length; t++)
        {
            var analytic = leaves[t].Grad?.ToArray() ?? new float[leaves[t].Size];
            for (int j = 0; j < x[t].Length; j++)
            {
                double saved = x[t][j];
                x[t][j] = saved + h;
                double plus = Dot(wd, reference(x));
                x[t][j] = saved - h;
                double minus = Dot(wd, reference(x));
                x[t][j] = saved;
                double numeric = (plus - minus) / (2 * h);
                AssertClose(numeric, analytic[j], atol, rtol, $"d/d input{t}[{j}]");
            }
        }
    }

    /// <summary>|actual − expected| ≤ atol + rtol·|expected|, with a message naming what was compared.</summary>
    public static void AssertClose(double expected, double actual, double atol, double rtol, string what)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual) || Math.Abs(actual - expected) > atol + rtol * Math.Abs(expected))
            Assert.Fail($"{what}: expected {expected:R}, got {actual:R} (atol {atol}, rtol {rtol})");
    }

    private static double Dot(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>A seeded random tensor (values ~ N(0, scale²)).</summary>
    public static Tensor Random(ulong seed, float scale, params int[] shape) => Tensor.Randn(new Rng(seed), scale, shape);
}
