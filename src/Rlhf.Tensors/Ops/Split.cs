namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Cuts <paramref name="x"/> along <paramref name="dim"/> into consecutive pieces of the given
    /// <paramref name="sizes"/> (which must sum to that dimension). Each piece is a <see cref="Slice"/> view
    /// (no copy); backward adds each piece's gradient into its window of dx.
    /// </summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int dim)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sizes);
        int d = Tensor.NormalizeDim(dim, x.Rank, "Split");
        long total = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new TensorShapeException($"Split: negative size in {Tensor.ShapeString(sizes)}");
            total += s;
        }
        if (total != x.Shape[d])
            throw new TensorShapeException(
                $"Split: sizes {Tensor.ShapeString(sizes)} sum to {total}, but dimension {d} of shape {Tensor.ShapeString(x.Shape)} is {x.Shape[d]}");
        var pieces = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            pieces[i] = Slice(x, d, start, sizes[i]);
            start += sizes[i];
        }
        return pieces;
    }
}
