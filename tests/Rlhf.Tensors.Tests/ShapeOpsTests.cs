using Rlhf.Tensors;

namespace Rlhf.Tensors.Tests;

public class ShapeOpsTests
{
    /// <summary>Naive concat along dim of row-major double arrays.</summary>
    private static double[] RefConcat(double[][] xs, int[][] shapes, int dim)
    {
        int rank = shapes[0].Length, d = (dim + rank) % rank;
        int outer = shapes[0].Take(d).Aggregate(1, (p, v) => p * v), inner = shapes[0].Skip(d + 1).Aggregate(1, (p, v) => p * v);
        var y = new List<double>();
        for (int o = 0; o < outer; o++)
            for (int t = 0; t < xs.Length; t++)
            {
                int block = shapes[t][d] * inner;
                for (int j = 0; j < block; j++) y.Add(xs[t][o * block + j]);
            }
        return y.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Concat_GradCheck(int dim)
    {
        int d = (dim + 3) % 3;
        int[][] shapes = [[3, 5, 7], [3, 5, 7], [3, 5, 7]];
        for (int t = 0; t < 3; t++) shapes[t][d] = t + 1; // sizes 1, 2, 3 along dim
        var inputs = shapes.Select((s, i) => GradCheck.Random((ulong)(30 + i), 1f, s)).ToArray();
        GradCheck.Check(x => Ops.Concat(x, dim), x => RefConcat(x, shapes, dim), inputs);
    }

    [Fact]
    public void Concat_OutputShape_AndSameTensorTwice()
    {
        var a = GradCheck.Random(34, 1f, 2, 3);
        Assert.Equal([2, 6], Ops.Concat([a, a], 1).ShapeArray());
        GradCheck.Check(x => Ops.Concat([x[0], x[0]], 0), x => [.. x[0], .. x[0]], [a]);
    }

    [Fact]
    public void Concat_BadShapes_NameOpAndBothShapes()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)], 1));
        Assert.Contains("Concat", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
        Assert.Throws<TensorShapeException>(() => Ops.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 3, 1)], 0));
        Assert.Throws<ArgumentException>(() => Ops.Concat([], 0));
    }

    [Fact]
    public void Split_GradCheck_PiecesAreViews()
    {
        // y = concat(2·p0, 3·p1, 5·p2) with pieces of sizes 1, 4, 2 along dim 1 of (3, 7, 5)
        int[] sizes = [1, 4, 2];
        float[] w = [2f, 3f, 5f];
        GradCheck.Check(
            x =>
            {
                var p = Ops.Split(x[0], sizes, 1);
                return Ops.Concat(p.Select((t, i) => Ops.Scale(t, w[i])).ToArray(), 1);
            },
            x => x[0].Select((v, i) => { int k = i / 5 % 7; return v * (k < 1 ? 2 : k < 5 ? 3 : 5); }).ToArray(),
            [GradCheck.Random(40, 1f, 3, 7, 5)]);

        var src = GradCheck.Random(41, 1f, 3, 7, 5);
        var pieces = Ops.Split(src, sizes, -2);
        Assert.All(pieces, piece => Assert.Same(src.Storage, piece.Storage));
        Assert.Equal([3, 4, 5], pieces[1].ShapeArray());
        Assert.Equal(src[2, 3, 4], pieces[1][2, 2, 4]);
    }

    [Fact]
    public void Split_BadSizes_NameOpAndShape()
    {
        var ex = Assert.Throws<TensorShapeException>(() => Ops.Split(Tensor.Zeros(2, 6), [2, 3], 1));
        Assert.Contains("Split", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[2, 6]", ex.Message);
        Assert.Throws<TensorShapeException>(() => Ops.Split(Tensor.Zeros(2, 6), [-1, 7], 1));
    }

    [Fact]
    public void BroadcastTo_GradCheck_AndShapeErrors()
    {
        GradCheck.Check(
            x => Ops.BroadcastTo(x[0], 2, 3, 4),
            x => Enumerable.Range(0, 24).Select(i => x[0][BroadcastReference.Index(i, [2, 3, 4], [3, 1])]).ToArray(),
            [GradCheck.Random(50, 1f, 3, 1)]);
        var ex = Assert.Throws<TensorShapeException>(() => Ops.BroadcastTo(Tensor.Zeros(3, 2), 3, 4));
        Assert.Contains("BroadcastTo", ex.Message);
        Assert.Contains("[3, 2]", ex.Message);
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Throws<TensorShapeException>(() => Ops.BroadcastTo(Tensor.Zeros(2, 3), 3));
    }

    [Fact]
    public void BroadcastShape_FollowsNumPyRules()
    {
        Assert.Equal([2, 3, 4], Ops.BroadcastShape("t", [2, 1, 4], [3, 1]));
        Assert.Equal([5, 3], Ops.BroadcastShape("t", [], [5, 3], [3]));
        Assert.Equal([0, 3], Ops.BroadcastShape("t", [0, 1], [3]));
        var ex = Assert.Throws<TensorShapeException>(() => Ops.BroadcastShape("Op", [2, 3], [1, 4], [3]));
        Assert.Contains("Op", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[1, 4]", ex.Message);
    }

    [Fact]
    public void Add_EmptyBroadcast_GivesEmptyOutputAndZeroGradient()
    {
        var a = Tensor.Zeros(0, 3);
        var b = GradCheck.Random(51, 1f, 3);
        b.RequiresGrad = true;
        var y = Ops.Add(a, b);
        Assert.Equal([0, 3], y.ShapeArray());
        Ops.Sum(y).Backward();
        Assert.Equal([0f, 0f, 0f], b.Grad!.ToArray());
    }
}
