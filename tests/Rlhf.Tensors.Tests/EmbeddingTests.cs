using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

public class EmbeddingTests
{
    [Fact]
    public void Embedding_GradCheck_RepeatedIdsAccumulate()
    {
        int[] ids = [3, 0, 3, 4, 1, 3]; // id 3 three times: its gradient row is a sum
        var table = GradCheck.Random(1, 1f, 5, 7);
        GradCheck.Check(
            t => Ops.Embedding(ids, [2, 3], t[0]),
            x =>
            {
                var y = new double[ids.Length * 7];
                for (int i = 0; i < ids.Length; i++)
                    for (int c = 0; c < 7; c++) y[i * 7 + c] = x[0][ids[i] * 7 + c];
                return y;
            },
            [table]);
    }

    [Fact]
    public void Embedding_Shape_IsIdsShapePlusC()
    {
        var table = GradCheck.Random(2, 1f, 10, 4);
        var y = Ops.Embedding([1, 2, 3, 4, 5, 6], [2, 3], table);
        Assert.Equal([2, 3, 4], y.ShapeArray());
        Assert.Equal(table[6, 2], y[1, 2, 2]);
        Assert.Equal([6, 4], Ops.Embedding([1, 2, 3, 4, 5, 6], table).ShapeArray());
    }

    [Fact]
    public void Embedding_OutOfRangeId_NamesIdPositionAndV()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding([1, 2, 10, 0], [2, 2], Tensor.Zeros(10, 4)));
        Assert.Contains("Embedding", ex.Message);
        Assert.Contains("id 10", ex.Message);
        Assert.Contains("position 2 ([1, 0]", ex.Message);
        Assert.Contains("V = 10", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Embedding([-1], Tensor.Zeros(10, 4)));
    }

    [Fact]
    public void Embedding_IdsShapeMismatch_NamesOpAndBothShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Embedding([1, 2, 3], [2, 2], Tensor.Zeros(10, 4)));
        Assert.Contains("Embedding", ex.Message);
        Assert.Contains("[2, 2]", ex.Message);
        Assert.Contains("[10, 4]", ex.Message);
    }
}
