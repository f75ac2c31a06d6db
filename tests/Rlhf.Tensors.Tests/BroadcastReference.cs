namespace Rlhf.Tensors.Tests;

/// <summary>Naive double-precision NumPy broadcasting, written independently of the engine (test oracle).</summary>
internal static class BroadcastReference
{
    /// <summary>Broadcast result shape (assumes compatible shapes).</summary>
    public static int[] Shape(params int[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            result[i] = 1;
            foreach (var s in shapes)
            {
                int j = i - (rank - s.Length);
                if (j >= 0 && s[j] != 1) result[i] = s[j];
            }
        }
        return result;
    }

    /// <summary>Flat index into an operand of <paramref name="shape"/> for output element <paramref name="flat"/>.</summary>
    public static int Index(int flat, int[] outShape, int[] shape)
    {
        int idx = 0, stride = 1;
        for (int i = outShape.Length - 1, j = shape.Length - 1; i >= 0; i--, j--)
        {
            int coord = flat % outShape[i];
            flat /= outShape[i];
            if (j < 0) continue;
            if (shape[j] != 1) idx += coord * stride;
            stride *= shape[j];
        }
        return idx;
    }

    /// <summary>y = f(a, b) with broadcasting, row-major over the broadcast shape.</summary>
    public static double[] Binary(double[] a, int[] aShape, double[] b, int[] bShape, Func<double, double, double> f)
    {
        var outShape = Shape(aShape, bShape);
        var y = new double[outShape.Aggregate(1, (p, d) => p * d)];
        for (int i = 0; i < y.Length; i++) y[i] = f(a[Index(i, outShape, aShape)], b[Index(i, outShape, bShape)]);
        return y;
    }
}
