using Rlhf.Tensors.Kernels;

namespace Rlhf.Tensors;

/// <summary>
/// A row-major (rows × cols) matrix of bfloat16 values: a frozen model's weight stored at half the memory of float32.
/// Forward-only — the ops that read it (<see cref="Ops.Linear(Tensor, Bf16Matrix, Tensor)"/>,
/// <see cref="Ops.MatMul(Tensor, Bf16Matrix, bool)"/>, <see cref="Ops.Embedding(int[], int[], Bf16Matrix)"/>) widen it
/// to float32 on the fly and record no gradient.
/// </summary>
public sealed class Bf16Matrix
{
    /// <summary>A matrix over <paramref name="data"/> (rows·cols values, row-major).</summary>
    public Bf16Matrix(ushort[] data, int rows, int cols, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (rows < 0 || cols < 0 || (long)rows * cols != data.Length)
            throw new ArgumentException($"Bf16Matrix{(name is null ? "" : $" {name}")}: {data.Length} values for a {rows}×{cols} matrix");
        (Data, Rows, Cols, Name) = (data, rows, cols, name);
    }

    /// <summary>The values, row-major.</summary>
    public ushort[] Data { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Cols { get; }

    /// <summary>The weight's name (checkpoint key), for error messages.</summary>
    public string? Name { get; }

    /// <summary>Bytes of storage (2 per value).</summary>
    public long Bytes => 2L * Data.Length;

    /// <summary>The matrix <paramref name="matrix"/> (rank 2) rounded to bf16 (nearest, ties to even); keeps its name.</summary>
    public static Bf16Matrix Round(Tensor matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.Rank != 2) throw new TensorShapeException($"Bf16Matrix.Round: {matrix.Name ?? "tensor"} has shape {Tensor.ShapeString(matrix.Shape)}, expected a matrix");
        var data = new ushort[matrix.Size];
        Bf16.FromFloat(matrix.Contiguous().Span, data);
        return new Bf16Matrix(data, matrix.Shape[0], matrix.Shape[1], matrix.Name);
    }

    /// <summary>The values widened to a new float32 tensor (rows, cols) (exact).</summary>
    public Tensor ToTensor()
    {
        var t = Tensor.Uninitialized(Rows, Cols);
        Bf16.ToFloat(Data, t.Span);
        return t;
    }

    /// <summary>"[rows, cols]", as <see cref="Tensor.ShapeString"/> writes shapes.</summary>
    public string ShapeString => Tensor.ShapeString([Rows, Cols]);
}
