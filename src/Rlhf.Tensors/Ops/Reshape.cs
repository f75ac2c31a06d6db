namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Same elements, new shape (one dimension may be -1 and is inferred). A view without copy when the input is
    /// contiguous. Backward: gradients are kept in row-major order, so d(input) = d(output) element for element.
    /// </summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(x);
        int[] newShape = InferShape(x, shape);
        var src = x.Contiguous();
        var y = new Tensor(src.Storage, newShape, null, src.Offset);
        return Tensor.Record(y, "Reshape", [src], g => Tensor.AddInto(src.GradBuffer(), g));
    }

    private static int[] InferShape(Tensor x, int[] shape)
    {
        var result = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0) throw new TensorShapeException($"Reshape: more than one -1 in {Tensor.ShapeString(shape)}");
                infer = i;
            }
            else if (result[i] < 0) throw new TensorShapeException($"Reshape: negative dimension in {Tensor.ShapeString(shape)}");
            else known *= result[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Size % known != 0)
                throw new TensorShapeException($"Reshape: cannot reshape {Tensor.ShapeString(x.Shape)} into {Tensor.ShapeString(shape)}");
            result[infer] = x.Size / known;
        }
        else if (known != x.Size)
        {
            throw new TensorShapeException($"Reshape: cannot reshape {Tensor.ShapeString(x.Shape)} ({x.Size} elements) into {Tensor.ShapeString(shape)}");
        }
        return result;
    }
}
