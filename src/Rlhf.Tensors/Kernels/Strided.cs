namespace Rlhf.Tensors.Kernels;

/// <summary>Element loops over arbitrary strided layouts (views); the innermost dimension runs as a tight loop.</summary>
internal static class Strided
{
    /// <summary>dst[i] += src[i] for every multi-index i; both tensors have the same shape, any strides.</summary>
    public static void Add(Tensor dst, Tensor src)
    {
        if (!dst.Shape.SequenceEqual(src.Shape))
            throw new TensorShapeException($"Strided.Add: shapes {Tensor.ShapeString(dst.Shape)} and {Tensor.ShapeString(src.Shape)} differ");
        if (dst.Size == 0) return;
        int rank = dst.Rank;
        if (rank == 0)
        {
            dst.Storage[dst.Offset] += src.Storage[src.Offset];
            return;
        }
        int inner = dst.Shape[rank - 1], ds = dst.Strides[rank - 1], ss = src.Strides[rank - 1];
        var idx = new int[rank - 1];
        int rows = dst.Size / inner;
        float[] d = dst.Storage, s = src.Storage;
        for (int r = 0; r < rows; r++)
        {
            int dOff = dst.Offset, sOff = src.Offset;
            for (int k = 0; k < idx.Length; k++)
            {
                dOff += idx[k] * dst.Strides[k];
                sOff += idx[k] * src.Strides[k];
            }
            for (int j = 0; j < inner; j++) d[dOff + j * ds] += s[sOff + j * ss];
            for (int k = idx.Length - 1; k >= 0; k--)
            {
                if (++idx[k] < dst.Shape[k]) break;
                idx[k] = 0;
            }
        }
    }
}
