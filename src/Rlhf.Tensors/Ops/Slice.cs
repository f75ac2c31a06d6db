namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Elements <paramref name="start"/> .. <paramref name="start"/>+<paramref name="length"/>-1 along
    /// <paramref name="dim"/>: a view (offset shift), no copy. Backward: the output gradient is added into that
    /// window of the input gradient; the rest of the input gradient is untouched (zero).
    /// </summary>
    public static Tensor Slice(Tensor x, int dim, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Tensor.NormalizeDim(dim, x.Rank, "Slice");
        if (start < 0 || length < 0 || start + length > x.Shape[d])
            throw new TensorShapeException(
                $"Slice: range [{start}, {start + length}) out of bounds for dimension {d} of shape {Tensor.ShapeString(x.Shape)}");
        var shape = x.ShapeArray();
        shape[d] = length;
        var y = new Tensor(x.Storage, shape, x.Strides.ToArray(), x.Offset + (length == 0 ? 0 : start * x.Strides[d]));
        return Tensor.Record(y, "Slice", [x], g =>
        {
            x.GradBuffer();
            var grad = x.Grad!;
            var window = new Tensor(grad.Storage, shape, grad.Strides.ToArray(), grad.Offset + (length == 0 ? 0 : start * grad.Strides[d]));
            Kernels.Strided.Add(window, g);
        });
    }
}
