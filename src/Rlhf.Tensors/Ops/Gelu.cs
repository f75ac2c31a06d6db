using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// GELU, tanh approximation exactly as GPT-2: y = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), elementwise, any shape.
    /// Backward: dx = dy·(½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715·x²)), recomputed from the saved input.
    /// Large tensors are split into fixed 4096-element blocks over threads (bit-identical for any thread count).
    /// </summary>
    public static Tensor Gelu(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var xc = x.Contiguous();
        var y = Tensor.Uninitialized(xc.ShapeArray());
        int n = xc.Size;
        float[] xa = xc.Storage, ya = y.Storage;
        int xo = xc.Offset;
        RowPartition.Blocks(n, (lo, len) => GeluKernel.Forward(xa.AsSpan(xo + lo, len), ya.AsSpan(lo, len), FastExp.Prefer512));
        return Tensor.Record(y, "Gelu", [xc], g =>
        {
            var (dxa, dxo) = GradStorage.Of(xc);
            float[] ga = g.Storage; int go = g.Offset;
            RowPartition.Blocks(n, (lo, len) => GeluKernel.Backward(xa.AsSpan(xo + lo, len), ga.AsSpan(go + lo, len), dxa.AsSpan(dxo + lo, len), FastExp.Prefer512));
        });
    }
}
