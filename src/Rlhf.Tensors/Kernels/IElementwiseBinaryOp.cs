namespace Rlhf.Tensors.Kernels;

/// <summary>
/// The math of one element-wise binary op y = f(a, b), as static members so the shared broadcasting engine
/// (<c>Ops.Binary</c>) is specialised per op by the JIT (no delegates or virtual calls per element or row).
/// Forward writes whole rows; the gradient members ACCUMULATE (+=) into their destination.
/// </summary>
internal interface IElementwiseBinaryOp
{
    /// <summary>y = f(a, b) for one pair (both operands repeated along a row).</summary>
    static abstract float Apply(float a, float b);

    /// <summary>y[i] = f(a[i], b[i]).</summary>
    static abstract void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

    /// <summary>y[i] = f(a[i], b).</summary>
    static abstract void Apply(ReadOnlySpan<float> a, float b, Span<float> y);

    /// <summary>y[i] = f(a, b[i]).</summary>
    static abstract void Apply(float a, ReadOnlySpan<float> b, Span<float> y);

    /// <summary>da[i] += g[i]·∂f/∂a(a[i], b[i]) (y = forward output; scratch is a free buffer of the same length).</summary>
    static abstract void AccumulateGradA(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
        Span<float> da, Span<float> scratch);

    /// <summary>db[i] += g[i]·∂f/∂b(a[i], b[i]).</summary>
    static abstract void AccumulateGradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> y,
        Span<float> db, Span<float> scratch);
}
