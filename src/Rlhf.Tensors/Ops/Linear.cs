using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Fused affine layer y = x·W + b: x (..., in), W (in, out) (GPT-2 Conv1D orientation), b (out) → (..., out).
    /// One GEMM whose register tiles start from b (<see cref="Gemm.MultiplyAddBias"/>), instead of MatMul + BiasAdd
    /// (saves a pass and an allocation over the output). Backward: dx += g·Wᵀ, dW += xᵀ·g (batch rows folded into the reduction),
    /// db += column sums of g (double, fixed row blocks: deterministic).
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        if (x.Rank < 1 || weight.Rank != 2 || bias.Rank != 1 || x.Shape[^1] != weight.Shape[0] || weight.Shape[1] != bias.Shape[0])
            throw new TensorShapeException(
                $"Linear: expected x (..., in), weight (in, out), bias (out), got {Tensor.ShapeString(x.Shape)}, {Tensor.ShapeString(weight.Shape)} and {Tensor.ShapeString(bias.Shape)}");
        var xc = x.Contiguous();
        var wc = weight.Contiguous();
        var bc = bias.Contiguous();
        int inF = wc.Shape[0], outF = wc.Shape[1], rows = inF == 0 ? xc.Size / Math.Max(1, xc.Shape[^1]) : xc.Size / inF;
        var outShape = xc.ShapeArray();
        outShape[^1] = outF;
        var y = Tensor.Uninitialized(outShape);
        Gemm.MultiplyAddBias(false, false, rows, outF, inF, xc.Span, inF, wc.Span, outF, bc.Span, y.Span, outF);
        return Tensor.Record(y, "Linear", [xc, wc, bc], g =>
        {
            var gs = g.Span;
            if (xc.RequiresGrad)
            {
                var dx = xc.GradBufferForWrite(out bool fresh);
                Gemm.Multiply(false, true, rows, inF, outF, gs, outF, wc.Span, outF, dx, inF, accumulate: !fresh);
            }
            if (wc.RequiresGrad)
            {
                var dw = wc.GradBufferForWrite(out bool fresh);
                Gemm.Multiply(true, false, inF, outF, rows, xc.Span, inF, gs, outF, dw, outF, accumulate: !fresh);
            }
            if (bc.RequiresGrad)
            {
                var sums = new double[outF];
                ReduceSum.ColumnSums(g.Storage, g.Offset, rows, outF, sums);
                var db = bc.GradBuffer();
                for (int j = 0; j < outF; j++) db[j] += (float)sums[j];
            }
        });
    }
}
