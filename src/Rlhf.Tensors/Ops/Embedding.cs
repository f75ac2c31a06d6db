using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Row lookup: out[..., :] = table[ids[...], :]. <paramref name="ids"/> is a flat row-major index array whose
    /// logical shape is <paramref name="idsShape"/> (e.g. [B, T]); table (V, C) → out (idsShape..., C).
    /// Backward: scatter-add, dtable[ids[i], :] += dout[i, :] (positions in order; repeated ids accumulate).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V); the message names id, position and V.</exception>
    public static Tensor Embedding(int[] ids, int[] idsShape, Tensor table)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(idsShape);
        ArgumentNullException.ThrowIfNull(table);
        if (table.Rank != 2)
            throw new TensorShapeException($"Embedding: table must be (V, C), got {Tensor.ShapeString(table.Shape)} for ids {Tensor.ShapeString(idsShape)}");
        if (Tensor.ShapeSize(idsShape) != ids.Length)
            throw new TensorShapeException($"Embedding: {ids.Length} ids do not fill ids shape {Tensor.ShapeString(idsShape)} (table {Tensor.ShapeString(table.Shape)})");
        int V = table.Shape[0], C = table.Shape[1];
        CheckEmbeddingIds(ids, idsShape, V);

        var tc = table.Contiguous();
        var outShape = new int[idsShape.Length + 1];
        idsShape.CopyTo(outShape, 0);
        outShape[^1] = C;
        var y = Tensor.Uninitialized(outShape);
        var ts = tc.Span; var ys = y.Span;
        for (int i = 0; i < ids.Length; i++) ts.Slice(ids[i] * C, C).CopyTo(ys.Slice(i * C, C));

        var idsCopy = (int[])ids.Clone(); // the caller may reuse its id buffer before backward runs
        return Tensor.Record(y, "Embedding", [tc], g =>
        {
            var dt = tc.GradBuffer(); var gs = g.Span;
            for (int i = 0; i < idsCopy.Length; i++)
            {
                var row = dt.Slice(idsCopy[i] * C, C);
                TensorPrimitives.Add(row, gs.Slice(i * C, C), row);
            }
        });
    }

    /// <summary>Throws when an id is outside [0, <paramref name="rows"/>), naming the id, its position and the table size.</summary>
    private static void CheckEmbeddingIds(int[] ids, int[] idsShape, int rows)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(ids),
                    $"Embedding: id {ids[i]} at position {i} ({Tensor.ShapeString(EmbeddingMultiIndex(i, idsShape))} in ids shape {Tensor.ShapeString(idsShape)}) is out of range for a table of V = {rows} rows");
        }
    }

    /// <summary>Row-major multi-index of flat position <paramref name="flat"/> in <paramref name="shape"/> (for error messages).</summary>
    private static int[] EmbeddingMultiIndex(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }

    /// <summary>Row lookup for a flat id list: ids (N) → (N, C). See <see cref="Embedding(int[], int[], Tensor)"/>.</summary>
    public static Tensor Embedding(int[] ids, Tensor table) => Embedding(ids, [ids?.Length ?? 0], table);
}
