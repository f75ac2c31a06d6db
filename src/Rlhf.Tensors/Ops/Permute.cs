namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Reorders dimensions: output dim i is input dim <paramref name="dims"/>[i]. A strided view, no copy.
    /// Backward: the output gradient read through the inverse permutation is added to the input gradient.
    /// </summary>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (dims.Length != x.Rank)
            throw new TensorShapeException($"Permute: {dims.Length} dims given for a tensor of shape {Tensor.ShapeString(x.Shape)}");
        var seen = new bool[x.Rank];
        var shape = new int[x.Rank];
        var strides = new int[x.Rank];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = Tensor.NormalizeDim(dims[i], x.Rank, "Permute");
            if (seen[d]) throw new TensorShapeException($"Permute: dimension {d} repeated in {Tensor.ShapeString(dims)}");
            seen[d] = true;
            shape[i] = x.Shape[d];
            strides[i] = x.Strides[d];
        }
        var y = new Tensor(x.Storage, shape, strides, x.Offset);
        return Tensor.Record(y, "Permute", [x], g =>
        {
            // g has the output shape; view it with the inverse permutation to get the input layout
            var inverseStrides = new int[dims.Length];
            var gStrides = g.Strides;
            for (int i = 0; i < dims.Length; i++) inverseStrides[Tensor.NormalizeDim(dims[i], dims.Length, "Permute")] = gStrides[i];
            Tensor.AddInto(x.GradBuffer(), new Tensor(g.Storage, x.ShapeArray(), inverseStrides, g.Offset));
        });
    }

    /// <summary>Swaps two dimensions (a view). See <see cref="Permute"/>.</summary>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        ArgumentNullException.ThrowIfNull(x);
        var dims = new int[x.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = i;
        int a = Tensor.NormalizeDim(dim0, x.Rank, "Transpose"), b = Tensor.NormalizeDim(dim1, x.Rank, "Transpose");
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return Permute(x, dims);
    }
}
