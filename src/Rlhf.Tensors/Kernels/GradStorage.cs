namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Array access to gradients for kernels that run inside lambdas (parallel bodies are lambdas, which cannot capture spans).
/// </summary>
internal static class GradStorage
{
    /// <summary>The (allocated on first use) gradient of <paramref name="t"/> as backing array + offset of element 0.</summary>
    public static (float[] Array, int Offset) Of(Tensor t)
    {
        t.GradBuffer();
        return (t.Grad!.Storage, t.Grad.Offset);
    }
}
