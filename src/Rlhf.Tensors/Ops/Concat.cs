using System.Numerics.Tensors;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Joins tensors along <paramref name="dim"/>: all must have the same rank and equal sizes in every other
    /// dimension; y's size along dim is the sum of theirs. Backward: each input's gradient += its window of g.
    /// </summary>
    public static Tensor Concat(Tensor[] tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Concat: needs at least one tensor");
        var xs = new Tensor[tensors.Length];
        for (int i = 0; i < xs.Length; i++) xs[i] = (tensors[i] ?? throw new ArgumentNullException(nameof(tensors))).Contiguous();
        var first = xs[0];
        int d = Tensor.NormalizeDim(dim, first.Rank, "Concat");
        int total = 0;
        foreach (var t in xs)
        {
            bool ok = t.Rank == first.Rank;
            for (int i = 0; ok && i < t.Rank; i++) ok = i == d || t.Shape[i] == first.Shape[i];
            if (!ok)
                throw new TensorShapeException(
                    $"Concat: shapes {Tensor.ShapeString(first.Shape)} and {Tensor.ShapeString(t.Shape)} differ outside dimension {d}");
            total += t.Shape[d];
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= first.Shape[i];
        for (int i = d + 1; i < first.Rank; i++) inner *= first.Shape[i];
        var outShape = first.ShapeArray();
        outShape[d] = total;
        var y = Tensor.Uninitialized(outShape);

        // y viewed as (outer, total·inner): input t fills columns [start_t, start_t + size_t·inner) of every row
        var ys = y.Span;
        int rowLen = total * inner, start = 0;
        foreach (var t in xs)
        {
            int block = t.Shape[d] * inner;
            var ts = t.Span;
            for (int o = 0; o < outer; o++) ts.Slice(o * block, block).CopyTo(ys.Slice(o * rowLen + start, block));
            start += block;
        }

        return Tensor.Record(y, "Concat", xs, g =>
        {
            var gs = g.Span;
            int begin = 0;
            foreach (var t in xs)
            {
                int block = t.Shape[d] * inner;
                if (t.RequiresGrad)
                {
                    var dt = t.GradBuffer();
                    for (int o = 0; o < outer; o++)
                        TensorPrimitives.Add(dt.Slice(o * block, block), gs.Slice(o * rowLen + begin, block), dt.Slice(o * block, block));
                }
                begin += block;
            }
        });
    }
}
